/** `margin store`: run the embedded Qdrant-compatible store in the foreground. */

import { startEmbeddedStore, UsageError } from "../index.js";
import type { Command } from "./main.js";
import { num, parse } from "./args.js";
import { DEFAULT_HOST, DEFAULT_STORE_PORT, defaultStorePath, STORE_HELP } from "./defaults.js";
import { qdrantApiKey } from "./open-store.js";

const help = `margin store: serve a data folder over Qdrant's REST API (the embedded store)

Usage: margin store [options]

  --path DIR        data folder (default ${STORE_HELP})
  --port N          TCP port (default ${DEFAULT_STORE_PORT}, Qdrant's; 0 picks a free one)
  --host H          interface to bind (default ${DEFAULT_HOST}, this machine only)
  --api-key KEY     require this key in the api-key header of every request
                    (default: QDRANT_API_KEY when set, as Qdrant's clients send it)
  --cors ORIGIN     let pages of ORIGIN (scheme://host:port) call the store; repeatable
                    (default: requests from any web page are refused, 403)
  --allow-host NAME accept requests addressed to NAME (a proxy's or LAN name); repeatable
                    (default: only the --host name and localhost / 127.0.0.1 / [::1])
  --repair          before starting, rewrite damaged logs keeping every intact
                    record; each original is kept as <log>.damaged-<time>
  --json            print the address as one JSON line
  --verbose         print error causes

Point any Qdrant client at the printed URL, e.g. QDRANT_URL=http://127.0.0.1:6333.
Writes sent with wait=true are on disk before they are answered. Stop with Ctrl-C.`;

const command: Command = {
  summary: "run the embedded Qdrant-compatible store",
  help,
  async run(argv) {
    const { values, positionals } = parse("store", argv, {
      path: { type: "string" }, port: { type: "string" }, host: { type: "string" },
      "api-key": { type: "string" }, cors: { type: "string", multiple: true }, "allow-host": { type: "string", multiple: true },
      repair: { type: "boolean" },
    });
    if (positionals.length) throw new UsageError(`margin store: takes no positional arguments, got "${positionals[0]}"; use --path DIR`);
    const port = num("store", "port", values.port as string | undefined, DEFAULT_STORE_PORT, { integer: true, min: 0, max: 65535 });
    const path = (values.path as string | undefined) ?? defaultStorePath();
    const flagKey = values["api-key"] as string | undefined;
    if (flagKey === "") throw new UsageError("margin store: --api-key must not be empty");
    const apiKey = flagKey ?? qdrantApiKey();
    const t0 = Date.now();
    if (!values.json) console.log(`margin store: opening ${path} (recovering its collections)...`);
    const running = await startEmbeddedStore({
      path, port, host: (values.host as string | undefined) ?? DEFAULT_HOST, apiKey,
      cors: values.cors as string[] | undefined, allowHosts: values["allow-host"] as string[] | undefined,
      onWarning: (m) => console.error(`margin store: warning: ${m}`), repair: values.repair === true,
    });
    for (const r of running.store.repaired) {
      console.error(`margin store: repaired ${r.file}: kept ${r.keptFrames} record(s) (${r.keptBytes} bytes), dropped ${r.droppedBytes} damaged byte(s) at ${r.stretches.join(", ")}; the original is ${r.original}`);
    }
    if (values.repair && !running.store.repaired.length) console.error(`margin store: --repair: no damaged log in ${path}`);
    const names = running.store.names();
    const points = names.reduce((s, n) => s + running.store.get(n).count, 0);
    if (values.json) console.log(JSON.stringify({ url: running.url, path, collections: names.length, points }));
    else {
      console.log(`margin store: ${names.length} collection(s), ${points} point(s) recovered from ${path} in ${Date.now() - t0} ms`);
      console.log(`margin store: listening on ${running.url}${apiKey ? " (api-key required)" : ""}; Ctrl-C to stop`);
    }
    await new Promise<void>((resolve) => {
      const stop = (sig: string) => {
        process.off("SIGINT", onInt);
        process.off("SIGTERM", onTerm);
        if (!values.json) console.log(`margin store: ${sig}, flushing and closing`);
        resolve();
      };
      const onInt = () => stop("SIGINT");
      const onTerm = () => stop("SIGTERM");
      process.on("SIGINT", onInt);
      process.on("SIGTERM", onTerm);
    });
    await running.close();
    if (!values.json) console.log("margin store: closed");
    return 0;
  },
};
export default command;
