-- cedarcheck's language server for Neovim 0.11+ (plain vim.lsp, no plugin needed).
-- On the runtimepath as lsp/cedarcheck.lua (copy it to ~/.config/nvim/lsp/, or add
-- editors/neovim to the runtimepath), `vim.lsp.enable('cedarcheck')` starts `cedarcheck lsp`
-- for Cedar policies and schemas, rooted at the nearest cedarcheck.toml, and for JSON files
-- below one (test files show their errors and failing tests). Override any field with
-- `vim.lsp.config('cedarcheck', { ... })`, e.g. `cmd = { '/path/to/cedarcheck', 'lsp' }` or
-- `init_options = { deep = false }`. See editors/neovim/README.md.
return {
  cmd = { 'cedarcheck', 'lsp' },
  filetypes = { 'cedar', 'cedarschema', 'json' },
  root_dir = function(bufnr, on_dir)
    local root = vim.fs.root(bufnr, { 'cedarcheck.toml' })
    if root then
      on_dir(root)
    elseif vim.bo[bufnr].filetype ~= 'json' then
      -- JSON outside a cedarcheck workspace is no test file: no server for it.
      on_dir(vim.fs.root(bufnr, { '.git' }) or vim.fs.dirname(vim.api.nvim_buf_get_name(bufnr)))
    end
  end,
  init_options = { deep = true },
}
