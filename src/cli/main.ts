import { readdirSync, readFileSync } from "node:fs";
import { CLIError, type CliIO, type Command } from "./io.js";

const COMMAND_NAME = /^[a-z][a-z-]*$/;

async function loadCommand(name: string): Promise<Command | undefined> {
  if (!COMMAND_NAME.test(name)) return undefined;
  try {
    const module = (await import(`./commands/${name}.js`)) as { command?: Command };
    return module.command;
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_MODULE_NOT_FOUND" && String(error).includes(`commands/${name}.js`)) {
      return undefined;
    }
    throw error;
  }
}

function commandNames(): string[] {
  const dir = new URL("./commands/", import.meta.url);
  return readdirSync(dir)
    .filter((file) => file.endsWith(".js"))
    .map((file) => file.slice(0, -3))
    .filter((name) => COMMAND_NAME.test(name))
    .sort();
}

async function help(): Promise<string> {
  const lines = ["Usage: taskio <command> [options]", "", "Commands:"];
  for (const name of commandNames()) {
    const command = await loadCommand(name);
    if (command !== undefined) lines.push(`  ${name.padEnd(8)} ${command.summary}`);
  }
  lines.push("", "Run `taskio <command> --help` for a command's options. Add --debug for stack traces.");
  return lines.join("\n") + "\n";
}

/**
 * The `taskio` command line. Returns the exit code instead of exiting, so it is tested in-process.
 * A usage error is one readable line on stderr and exit code 2; a stack trace only with --debug.
 */
export async function runMain(argv: readonly string[], io: CliIO): Promise<number> {
  const debug = argv.includes("--debug");
  const args = argv.filter((arg) => arg !== "--debug");
  const name = args[0];
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(await help());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
    io.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  try {
    const command = await loadCommand(name);
    if (command === undefined) {
      throw new CLIError(`Unknown command: ${JSON.stringify(name)}. Run \`taskio --help\` to list the commands`);
    }
    const rest = args.slice(1);
    if (rest.includes("--help") || rest.includes("-h")) {
      io.stdout.write(command.usage.endsWith("\n") ? command.usage : `${command.usage}\n`);
      return 0;
    }
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof CLIError) {
      io.stderr.write(`taskio: ${error.message}\n`);
      return error.exitCode;
    }
    if (debug) io.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    else io.stderr.write(`taskio: ${error instanceof Error ? error.message : String(error)} (run with --debug for details)\n`);
    return 1;
  }
}
