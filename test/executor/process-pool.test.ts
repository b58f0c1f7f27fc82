import { after } from "node:test";
import { ProcessPoolExecutor } from "../../src/executor/index.js";
import { cleanupHandshakes, executorSuite } from "./_suite.js";

executorSuite("process", (options) => new ProcessPoolExecutor(options));
after(cleanupHandshakes);
