// A thin language client: starts `cedarcheck lsp` for Cedar policy and schema files, and for
// JSON files (the server shows diagnostics in those a cedarcheck.toml lists as tests).
//
// The binary is the `cedarcheck.path` setting: a path, or a name looked up on PATH (and in
// ~/.cargo/bin, where `cargo install` puts it even when VS Code was started without that
// directory on its PATH). When it is missing the extension says how to install it, and any
// change to a `cedarcheck.*` setting starts the server again with the new settings.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from "vscode-languageclient/node";

// The crates are not published yet: cargo installs from the repository (README "Installation").
const INSTALL_COMMAND =
  "cargo install --locked --git https://github.com/cedarcheck/cedarcheck cedarcheck";
const RELEASES_URL = "https://github.com/cedarcheck/cedarcheck/releases/latest";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;

/** Whether `file` is a file this process may run. */
function isExecutable(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) {
      return false;
    }
    if (process.platform !== "win32") {
      fs.accessSync(file, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * The binary `setting` names: a path (absolute, `~/…`, or relative to the first workspace
 * folder) when it has a path separator, else a name on PATH or in ~/.cargo/bin. Undefined
 * when there is none.
 */
export function findBinary(setting: string): string | undefined {
  const windows = process.platform === "win32";
  const extensions = windows
    ? ["", ...(process.env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";").filter((e) => e)]
    : [""];
  const candidates = (base: string) => extensions.map((ext) => base + ext);
  if (setting.includes("/") || (windows && setting.includes("\\"))) {
    let file = setting.startsWith("~/") ? path.join(os.homedir(), setting.slice(2)) : setting;
    if (!path.isAbsolute(file)) {
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
      file = path.resolve(folder ?? process.cwd(), file);
    }
    return candidates(file).find(isExecutable);
  }
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter((d) => d);
  dirs.push(path.join(os.homedir(), ".cargo", "bin"));
  for (const dir of dirs) {
    const found = candidates(path.join(dir, setting)).find(isExecutable);
    if (found) {
      return found;
    }
  }
  return undefined;
}

/** Says that the binary is missing, with the install command and the release download. */
async function reportMissing(setting: string): Promise<void> {
  const where =
    setting === "cedarcheck"
      ? "`cedarcheck` is not on PATH (nor in ~/.cargo/bin)"
      : `\`cedarcheck.path\` is "${setting}", which is not an executable file`;
  const copy = "Copy install command";
  const download = "Download a release";
  const settings = "Open settings";
  const choice = await vscode.window.showErrorMessage(
    `cedarcheck: the language server is not running: ${where}. Install it with ` +
      `\`${INSTALL_COMMAND}\`, or download a release binary from ${RELEASES_URL}, then set ` +
      "`cedarcheck.path` if it is not on PATH.",
    copy,
    download,
    settings,
  );
  if (choice === copy) {
    await vscode.env.clipboard.writeText(INSTALL_COMMAND);
  } else if (choice === download) {
    await vscode.env.openExternal(vscode.Uri.parse(RELEASES_URL));
  } else if (choice === settings) {
    await vscode.commands.executeCommand("workbench.action.openSettings", "cedarcheck.path");
  }
}

/** Starts the server with the current settings, unless the binary is missing. */
async function start(): Promise<void> {
  const config = vscode.workspace.getConfiguration("cedarcheck");
  const setting = config.get<string>("path")?.trim() || "cedarcheck";
  const command = findBinary(setting);
  if (!command) {
    output?.appendLine(`cedarcheck not found (cedarcheck.path = "${setting}")`);
    void reportMissing(setting);
    return;
  }
  output?.appendLine(`starting ${command} lsp`);
  const serverOptions: ServerOptions = { command, args: ["lsp"] };
  const ruleDocsUrl = config.get<string>("ruleDocsUrl");
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "cedar" },
      { scheme: "file", language: "cedarschema" },
      { scheme: "untitled", language: "cedar" },
      // Test files: the server shows their errors and failing tests; other JSON gets none.
      ...(config.get<boolean>("testFiles", true) ? [{ scheme: "file", language: "json" }] : []),
    ],
    initializationOptions: {
      deep: config.get<boolean>("deep", true),
      ...(ruleDocsUrl ? { ruleDocsUrl } : {}),
    },
    outputChannel: output,
  };
  client = new LanguageClient("cedarcheck", "cedarcheck", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (e) {
    client = undefined;
    void vscode.window.showErrorMessage(`cedarcheck: cannot start \`${command} lsp\`: ${e}`);
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  await running?.stop();
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("cedarcheck");
  context.subscriptions.push(
    output,
    // A new path, or new options: the server starts again with them (or, when it was
    // missing, now that it may be there).
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("cedarcheck")) {
        await stop();
        await start();
      }
    }),
    vscode.commands.registerCommand("cedarcheck.restartServer", async () => {
      await stop();
      await start();
    }),
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await stop();
}
