//! End to end with a real editor: headless Neovim opens a policy with findings, starts
//! `cedarcheck lsp` on it (with editors/neovim's own setup, as editors/neovim/README.md says)
//! and writes the diagnostics it received as JSON; the test checks the rule codes and lines,
//! and that a config changed on disk outside the editor changes them.
//!
//! Without `nvim` on PATH the test says it was skipped — except under CI, where it fails
//! (`.ci/run` installs Debian's `neovim`).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cedarcheck_test_support::{require_tool, Tool};
use serde_json::Value;

/// Puts editors/neovim on the runtimepath and runs its setup (`require('cedarcheck').setup`:
/// `vim.lsp.config` / `vim.lsp.enable` with `lsp/cedarcheck.lua` from Neovim 0.11, `vim.lsp.start`
/// from 0.8, `start_client` + `buf_attach_client` before), opens the policy, waits for
/// diagnostics, then raises a rule's level in cedarcheck.toml on disk (as a `git checkout`
/// would) and waits for the server to notice; writes what it saw, quits.
const SCRIPT: &str = r#"
local bin, root, out = os.getenv('CEDARCHECK_BIN'), os.getenv('CEDARCHECK_ROOT'), os.getenv('CEDARCHECK_OUT')
vim.opt.runtimepath:prepend(os.getenv('CEDARCHECK_PLUGIN'))
vim.cmd('filetype on')
require('cedarcheck').setup({ cmd = { bin, 'lsp' }, init_options = { deep = false } })
vim.cmd('edit ' .. vim.fn.fnameescape(root .. '/policies.cedar'))
local buf = vim.api.nvim_get_current_buf()
local detected = vim.bo[buf].filetype
local received = vim.wait(30000, function() return #vim.diagnostic.get(buf) > 0 end, 20)
local function severity_of(code)
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local lsp = d.user_data and d.user_data.lsp or {}
    if (d.code or lsp.code) == code then return d.severity end
  end
end
local v = vim.version()
local result = {
  nvim = v.major .. '.' .. v.minor .. '.' .. v.patch, filetype = detected, received = received,
  diagnostics = {}, before = severity_of('missing-policy-id') or vim.NIL,
}
for _, d in ipairs(vim.diagnostic.get(buf)) do
  local lsp = d.user_data and d.user_data.lsp or {}
  table.insert(result.diagnostics, {
    lnum = d.lnum, col = d.col, severity = d.severity, message = d.message,
    source = d.source or lsp.source or vim.NIL, code = d.code or lsp.code or vim.NIL,
  })
end
-- Changed outside the editor: the server's poll (or the editor's file watcher) notices.
local config = root .. '/cedarcheck.toml'
local lines = vim.fn.readfile(config)
vim.list_extend(lines, { '[rules]', 'missing-policy-id = "error"' })
vim.fn.writefile(lines, config)
result.raised = vim.wait(10000, function()
  return severity_of('missing-policy-id') == vim.diagnostic.severity.ERROR
end, 20)
vim.fn.writefile({ vim.fn.json_encode(result) }, out)
local get = vim.lsp.get_clients or vim.lsp.get_active_clients
vim.lsp.stop_client(get())
vim.wait(2000, function() return #get() == 0 end, 20)
vim.cmd('qa!')
"#;

const CONFIG: &str = "policies = [\"*.cedar\"]\nschema = \"app.cedarschema\"\n";

const SCHEMA: &str = "namespace App {\n  entity User;\n  entity Doc;\n  action read appliesTo { principal: [User], resource: [Doc] };\n}\n";

/// Line 4 (0-based 3): no @id, and it permits everything.
const POLICIES: &str = "@id(\"reads\")\npermit(principal is App::User, action == App::Action::\"read\", resource is App::Doc);\n\npermit(principal, action, resource);\n";

/// Runs headless Neovim on `script` in `root` and returns what the script wrote.
fn run_nvim(nvim: &Path, root: &Path, script: &Path, out: &Path) -> Value {
    let mut child = Command::new(nvim)
        .args(["--headless", "--clean", "-u", "NONE", "-c"])
        .arg(format!("luafile {}", script.display()))
        .current_dir(root)
        .env("CEDARCHECK_BIN", env!("CARGO_BIN_EXE_cedarcheck"))
        .env("CEDARCHECK_ROOT", root)
        .env("CEDARCHECK_OUT", out)
        .env(
            "CEDARCHECK_PLUGIN",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("editors/neovim"),
        )
        // The static findings only: the result must not depend on the solver.
        .env("CVC5", "/nonexistent/cvc5")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nvim starts");
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().expect("nvim runs") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("nvim did not quit within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        use std::io::Read;
        let _ = pipe.read_to_string(&mut stderr);
    }
    assert!(status.success(), "nvim exited with {status}: {stderr}");
    let written = std::fs::read_to_string(out)
        .unwrap_or_else(|e| panic!("the script wrote no result ({e}); nvim said: {stderr}"));
    serde_json::from_str(&written).expect("the result is JSON")
}

#[test]
fn neovim_receives_the_static_findings_of_an_opened_policy() {
    let Some(nvim) = require_tool(
        "neovim_receives_the_static_findings_of_an_opened_policy",
        Tool::Neovim,
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    for (name, text) in [
        ("cedarcheck.toml", CONFIG),
        ("app.cedarschema", SCHEMA),
        ("policies.cedar", POLICIES),
        ("diagnostics.lua", SCRIPT),
    ] {
        std::fs::write(root.join(name), text).unwrap();
    }
    let out = root.join("diagnostics.json");
    let result = run_nvim(&nvim, &root, &root.join("diagnostics.lua"), &out);
    eprintln!("nvim {}", result["nvim"]);
    assert_eq!(result["filetype"], "cedar", "{result}");
    assert_eq!(
        result["received"], true,
        "no diagnostics within 30 s: {result}"
    );
    let mut found: Vec<(String, u64, u64, String)> = result["diagnostics"]
        .as_array()
        .expect("a list of diagnostics")
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["lnum"].as_u64().unwrap(),
                d["col"].as_u64().unwrap(),
                d["source"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    found.sort();
    let expected = |code: &str| (code.to_string(), 3, 0, "cedarcheck".to_string());
    assert_eq!(
        found,
        vec![expected("missing-policy-id"), expected("permit-all")],
        "{result}"
    );
    let messages: Vec<&str> = result["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("permits every principal")),
        "{messages:?}"
    );
    // missing-policy-id is info (3) by default; cedarcheck.toml raised it to error (1) on
    // disk, outside the editor, and the diagnostics followed.
    assert_eq!(result["before"], 3, "{result}");
    assert_eq!(
        result["raised"], true,
        "the config changed on disk, and the level did not follow within 10 s: {result}"
    );
}

/// Opens a tested policy, asks for its code lenses (`vim.lsp.codelens.refresh`), and runs the
/// Evaluate lens's command as `vim.lsp.codelens.run` does; writes the titles and the answer.
const LENS_SCRIPT: &str = r#"
local bin, root, out = os.getenv('CEDARCHECK_BIN'), os.getenv('CEDARCHECK_ROOT'), os.getenv('CEDARCHECK_OUT')
vim.cmd('edit ' .. vim.fn.fnameescape(root .. '/policies.cedar'))
local buf = vim.api.nvim_get_current_buf()
vim.bo[buf].filetype = 'cedar'
local config = { name = 'cedarcheck', cmd = { bin, 'lsp' }, root_dir = root, init_options = { deep = false } }
local client
if vim.lsp.start then
  client = vim.lsp.start(config)
else
  client = vim.lsp.start_client(config)
  vim.lsp.buf_attach_client(buf, client)
end
-- The policy has a finding (no @id): its diagnostics say the server is up and has checked it.
vim.wait(30000, function() return #vim.diagnostic.get(buf) > 0 end, 20)
local result = { titles = {}, answer = vim.NIL }
local lenses = {}
for _ = 1, 100 do
  vim.lsp.codelens.refresh()
  vim.wait(300, function() return #vim.lsp.codelens.get(buf) > 0 end, 20)
  lenses = vim.lsp.codelens.get(buf)
  if #lenses > 0 then break end
end
for _, lens in ipairs(lenses) do
  table.insert(result.titles, { line = lens.range.start.line, title = lens.command and lens.command.title or vim.NIL })
end
if lenses[1] and lenses[1].command then
  local c = vim.lsp.get_client_by_id(client)
  local response = c.request_sync('workspace/executeCommand', lenses[1].command, 10000, buf)
  if response and response.result then result.answer = response.result end
end
vim.fn.writefile({ vim.fn.json_encode(result) }, out)
vim.lsp.stop_client(client)
vim.wait(2000, function() return vim.lsp.get_client_by_id(client) == nil end, 20)
vim.cmd('qa!')
"#;

const LENS_POLICIES: &str =
    "permit(principal is App::User, action == App::Action::\"read\", resource is App::Doc);\n";

const LENS_TESTS: &str = r#"[
  {
    "name": "ann reads",
    "request": {"principal": "App::User::\"ann\"", "action": "App::Action::\"read\"", "resource": "App::Doc::\"d\"", "context": {}},
    "entities": [],
    "decision": "allow",
    "reason": ["policy0"],
    "num_errors": 0
  }
]
"#;

#[test]
fn neovim_shows_the_evaluate_lens_and_runs_its_command() {
    let Some(nvim) = require_tool(
        "neovim_shows_the_evaluate_lens_and_runs_its_command",
        Tool::Neovim,
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    for (name, text) in [
        (
            "cedarcheck.toml",
            "policies = [\"*.cedar\"]\nschema = \"app.cedarschema\"\ntests = [\"tests.json\"]\n",
        ),
        ("app.cedarschema", SCHEMA),
        ("policies.cedar", LENS_POLICIES),
        ("tests.json", LENS_TESTS),
        ("lenses.lua", LENS_SCRIPT),
    ] {
        std::fs::write(root.join(name), text).unwrap();
    }
    let out = root.join("lenses.json");
    let result = run_nvim(&nvim, &root, &root.join("lenses.lua"), &out);
    assert_eq!(
        result["titles"],
        serde_json::json!([{"line": 0, "title": "▶ 1 test: 1 allow"}]),
        "{result}"
    );
    assert_eq!(
        result["answer"],
        "`policy0`: 1 test: 1 allow\ntests.json:2 \"ann reads\": allow, determined by policy0",
        "{result}"
    );
}
