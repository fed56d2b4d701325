// Ponder 1.0 requires this file. /count answers how many events the table holds; the benchmark
// reads it (and /ready) to know when the backfill is complete.
import { db } from "ponder:api";
import schema from "ponder:schema";
import { Hono } from "hono";
import { count } from "ponder";

const app = new Hono();

app.get("/count", async (c) => {
  const [row] = await db.select({ n: count() }).from(schema.suiteEvent);
  return c.json({ count: row?.n ?? 0 });
});

export default app;
