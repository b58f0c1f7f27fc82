import { after } from "node:test";
import { ThreadPoolExecutor } from "../../src/executor/index.js";
import { cleanupHandshakes, executorSuite } from "./_suite.js";

executorSuite("thread", (options) => new ThreadPoolExecutor(options));
after(cleanupHandshakes);
