// Signs webhook payloads exactly as Stripe does, with the npm `stripe` package
// (a devDependency of the repository root). The relayer's tests run it and
// check that the Rust verifier agrees.
//
// stdin:  [{"payload": "...", "secret": "whsec_...", "timestamp": 1700000000}, ...]
// stdout: ["t=1700000000,v1=...", ...]  (one Stripe-Signature header per input)
'use strict';

const Stripe = require('stripe');

const stripe = new Stripe('sk_test_unused_no_request_is_made');
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  const headers = JSON.parse(input).map(({ payload, secret, timestamp }) =>
    stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp }),
  );
  process.stdout.write(JSON.stringify(headers));
});
