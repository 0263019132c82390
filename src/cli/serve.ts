/** `margin serve`: the search page and its JSON API on this machine. */

import { existsSync } from "node:fs";
import { join } from "node:path";
import { checkModelMatches, collectionModel, loadModelCard, modelIdentity, serve, UsageError } from "../index.js";
import type { Command } from "./main.js";
import { num, parse } from "./args.js";
import { openStore } from "./open-store.js";
import { DEFAULT_COLLECTION, DEFAULT_HOST, DEFAULT_MODEL, DEFAULT_SERVE_PORT, defaultModelsDir, modelCard, SAMPLES_DIR, STORE_HELP } from "./defaults.js";

const help = `margin serve: a search page that embeds images in the browser

Usage: margin serve [options]

  --port N            TCP port (default ${DEFAULT_SERVE_PORT}; 0 picks a free one)
  --host H            interface (default ${DEFAULT_HOST}, this machine only)
  --collection NAME   collection to search (default ${DEFAULT_COLLECTION})
  --model NAME|PATH   a model name or card NAME.json; the page runs its ONNX file (default: the model the
                      collection was made by, from its metadata, else ${DEFAULT_MODEL}); another one is refused
  --images DIR        the folder that was ingested, for thumbnails (default: the package's samples/NAME when it exists)
  --store PATH        embedded store folder when QDRANT_URL is unset (default ${STORE_HELP})
  --allow-host NAME   accept requests addressed to NAME (a proxy's or LAN name); repeatable
                      (default: only the --host name and localhost / 127.0.0.1 / [::1])
  --cors ORIGIN       let pages of ORIGIN (scheme://host:port) call the API; repeatable
                      (default: only the page this server serves)
  --verbose           print error causes

Store: QDRANT_URL (and QDRANT_API_KEY) select a Qdrant server; the key stays on
the server, the page only talks to this API. Without QDRANT_URL the embedded
store is started on --store. Stop with Ctrl-C.

Example: margin ingest samples/fashion-mnist && margin serve`;

const command: Command = {
  summary: "serve the search page (embedding in the browser)",
  help,
  async run(argv) {
    const { values, positionals } = parse("serve", argv, {
      port: { type: "string" }, host: { type: "string" }, collection: { type: "string" },
      model: { type: "string" }, images: { type: "string" }, store: { type: "string" },
      "allow-host": { type: "string", multiple: true }, cors: { type: "string", multiple: true },
    });
    if (positionals.length) {
      throw new UsageError(`margin serve: takes no positional arguments, got "${positionals[0]}"; see margin serve --help`);
    }
    const port = num("serve", "port", values.port as string | undefined, DEFAULT_SERVE_PORT, { integer: true, min: 0, max: 65535 });
    const collection = (values.collection as string | undefined) ?? DEFAULT_COLLECTION;
    const fallbackImages = join(SAMPLES_DIR, collection);
    const imagesRoot = (values.images as string | undefined) ?? (existsSync(fallbackImages) ? fallbackImages : undefined);
    const opened = await openStore(values.store as string | undefined);
    let handle;
    try {
      // the page embeds with the collection's own model unless --model says otherwise; another one is refused
      const stored = await collectionModel(opened.store, collection);
      const model = modelCard((values.model as string | undefined) ?? stored?.name);
      checkModelMatches(collection, stored, await modelIdentity(model, await loadModelCard(model)));
      handle = await serve({
        port, host: (values.host as string | undefined) ?? DEFAULT_HOST, collection, store: opened.store,
        modelCard: model, imagesRoot, adapt: { modelsDir: defaultModelsDir() },
        allowHosts: values["allow-host"] as string[] | undefined, cors: values.cors as string[] | undefined,
      });
    } catch (e) {
      await opened.close();
      throw e;
    }
    console.log(`margin serve: ${handle.url}  (collection "${collection}" in ${opened.where}${imagesRoot ? `, images from ${imagesRoot}` : ", no thumbnails: pass --images DIR"})`);
    await new Promise<void>((done) => {
      const stop = () => done();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    await handle.close();
    await opened.close();
    return 0;
  },
};
export default command;
