// Regenerates cid-vectors.json with the reference JavaScript UnixFS importer
// (the one Kubo's behaviour is specified against), independently of our code.
//
//   mkdir /tmp/gen && cp core/tests/data/gen-cid-vectors.mjs /tmp/gen/ &&
//     (cd /tmp/gen && npm install ipfs-unixfs-importer@17 blockstore-core &&
//      node gen-cid-vectors.mjs) > core/tests/data/cid-vectors.json
//
// (The script runs from the folder holding node_modules, since Node resolves
// imports next to the script, not the working directory.)
//
// File content must match `pattern` in core/tests/it/support.rs: xorshift64
// (13, 7, 17) from the seed, each state written as 8 little-endian bytes.
import { importer } from 'ipfs-unixfs-importer'
import { BlackHoleBlockstore } from 'blockstore-core/black-hole'
import { readFileSync } from 'node:fs'

const MASK = (1n << 64n) - 1n
const CHUNK = 262144

function* pattern (seed, len) {
  let state = BigInt(seed)
  let left = len
  while (left > 0) {
    const n = Math.min(left, 1 << 20)
    const buf = new Uint8Array(Math.ceil(n / 8) * 8)
    const view = new DataView(buf.buffer)
    for (let i = 0; i < buf.length; i += 8) {
      state ^= (state << 13n) & MASK
      state ^= state >> 7n
      state ^= (state << 17n) & MASK
      view.setBigUint64(i, state, true)
    }
    yield buf.subarray(0, n)
    left -= n
  }
}

async function cid (seed, len, options) {
  const entries = importer([{ content: pattern(seed, len) }], new BlackHoleBlockstore(), {
    profile: 'unixfs-v0-2015', // Kubo's long-standing defaults: 256 KiB chunks, 174 links
    ...options
  })
  let root
  for await (const entry of entries) root = entry.cid
  return root.toString()
}

const sizes = [0, 1, CHUNK, CHUNK + 1, 5 << 20, 174 * CHUNK, 174 * CHUNK + 1, 46 << 20]
const vectors = []
for (const size of sizes) {
  const seed = size + 1
  vectors.push({
    size,
    seed,
    cid_v0: await cid(seed, size, { cidVersion: 0, rawLeaves: false }),
    cid_v1_raw_leaves: await cid(seed, size, { cidVersion: 1, rawLeaves: true })
  })
}
const manifest = new URL('../../package.json', import.meta.resolve('ipfs-unixfs-importer'))
const { version } = JSON.parse(readFileSync(manifest, 'utf8'))
console.log(JSON.stringify({
  generated_by: `ipfs-unixfs-importer ${version}, profile unixfs-v0-2015 (gen-cid-vectors.mjs)`,
  vectors
}, null, 2))
