//! Integration tests of `tributary-relayer`, compiled as one binary. Every
//! test starts what it needs (node with the npm `stripe` package); a missing
//! one fails the test, loudly.

mod signature;
mod stripe_js;
