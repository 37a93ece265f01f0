// A thin language client: starts `cedarcheck lsp` for Cedar policy and schema files, and for
// JSON files (the server shows diagnostics in those a cedarcheck.toml lists as tests).
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const config = vscode.workspace.getConfiguration("cedarcheck");
  const command = config.get<string>("path") || "cedarcheck";
  const serverOptions: ServerOptions = { command, args: ["lsp"] };
  const ruleDocsUrl = config.get<string>("ruleDocsUrl");
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "cedar" },
      { scheme: "file", language: "cedarschema" },
      { scheme: "untitled", language: "cedar" },
      ...(config.get<boolean>("testFiles", true) ? [{ scheme: "file", language: "json" }] : []),
    ],
    initializationOptions: {
      deep: config.get<boolean>("deep", true),
      ...(ruleDocsUrl ? { ruleDocsUrl } : {}),
    },
  };
  client = new LanguageClient("cedarcheck", "cedarcheck", serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("cedarcheck") && client) {
        await client.restart();
      }
    }),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
