import { openPglite } from "./hub/history/pglite.ts";
import { openPostgres } from "./hub/history/postgres.ts";
import { migrate } from "./hub/history/migrate.ts";
const dir = await Deno.makeTempDir();
let t = performance.now();
const db = await openPglite(dir);
console.log("open", performance.now() - t); t = performance.now();
console.log(await migrate(db), performance.now() - t);
console.log(await migrate(db));
try { await openPglite(dir); } catch (e) { console.log("second:", (e as Error).message); }
console.log(await db.query("select count(*)::int as n, 5::bigint as b from servers"));
try { await db.transaction(async (tx) => { await tx.query("insert into users (username, password_hash, role) values ('a','x','admin')"); throw new Error("boom"); }); } catch (e) { console.log((e as Error).message); }
console.log(await db.query("select count(*) from users"));
try { await db.query("select * from nope"); } catch (e) { console.log((e as any).code, (e as Error).message); }
await db.close();
const pg = openPostgres("postgres://postgres:sekrit@127.0.0.1:5432/test");
await pg.exec("drop schema public cascade; create schema public;");
console.log(pg.where, await migrate(pg), await migrate(pg));
console.log(await pg.query("select count(*) from servers"));
const down = openPostgres("postgres://postgres:sekrit@127.0.0.1:5999/test", {connectTimeout: 1});
try { await down.query("select 1"); } catch (e) { console.log("down:", (e as any).code, (e as Error).message); }
await pg.close(); await down.close();
