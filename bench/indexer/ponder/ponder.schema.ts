// One row per suite event, decoded: the equivalent of tributary-indexer's raw_logs row plus its
// decoded columns (the decoded arguments go into one JSON column here).
import { onchainTable } from "ponder";

export const suiteEvent = onchainTable("suite_event", (t) => ({
  id: t.text().primaryKey(),
  blockNumber: t.bigint().notNull(),
  blockHash: t.hex().notNull(),
  logIndex: t.integer().notNull(),
  txHash: t.hex().notNull(),
  name: t.text().notNull(),
  args: t.json().notNull(),
}));
