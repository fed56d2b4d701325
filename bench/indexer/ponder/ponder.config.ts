// Ponder 1.0.0 indexing the benchmark chain, the peer of tributary-indexer (bench/indexer/run.sh).
// Environment (set by run.sh): PONDER_RPC_URL, TRIBUTARY_CONTRACT, TRIBUTARY_START_BLOCK.
import { createConfig } from "ponder";
import { http } from "viem";
import { abi } from "./abi";

export default createConfig({
  networks: {
    anvil: {
      chainId: 31337,
      // Without maxResponseBodySize: false, viem refuses an eth_getLogs answer over 10 MB and
      // Ponder stops fatally instead of shrinking its range (the benchmark's answers are larger).
      transport: http(process.env.PONDER_RPC_URL, { maxResponseBodySize: false } as never),
    },
  },
  contracts: {
    Tributary: {
      network: "anvil",
      abi,
      address: process.env.TRIBUTARY_CONTRACT as `0x${string}`,
      startBlock: Number(process.env.TRIBUTARY_START_BLOCK ?? 0),
    },
  },
});
