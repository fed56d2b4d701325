// One handler per event of the ABI, each inserting the decoded event.
import { ponder } from "ponder:registry";
import { suiteEvent } from "ponder:schema";
import { replaceBigInts } from "ponder";
import { abi } from "../abi";

for (const item of abi) {
  if (item.type !== "event") continue;
  const name = item.name;
  // biome-ignore lint: event names come from the ABI at runtime
  ponder.on(`Tributary:${name}` as any, async ({ event, context }: any) => {
    await context.db.insert(suiteEvent).values({
      id: `${event.block.number}-${event.log.logIndex}`,
      blockNumber: event.block.number,
      blockHash: event.block.hash,
      logIndex: event.log.logIndex,
      txHash: event.transaction.hash,
      name,
      args: replaceBigInts(event.args, (v: bigint) => v.toString()),
    });
  });
}
