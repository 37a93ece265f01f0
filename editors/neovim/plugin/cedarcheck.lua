-- cedarcheck language server for Neovim 0.11+ (plain vim.lsp; no plugin needed).
-- Put this file in ~/.config/nvim/plugin/ or `require` it from init.lua.
vim.filetype.add({
  extension = { cedar = "cedar", cedarschema = "cedarschema" },
})

vim.lsp.config("cedarcheck", {
  cmd = { "cedarcheck", "lsp" },
  -- JSON for test files: the server shows their errors and failing tests.
  filetypes = { "cedar", "cedarschema", "json" },
  root_dir = function(bufnr, on_dir)
    local root = vim.fs.root(bufnr, { "cedarcheck.toml" })
    if root then
      on_dir(root)
    elseif vim.bo[bufnr].filetype ~= "json" then
      -- JSON outside a cedarcheck workspace is no test file: no server for it.
      on_dir(vim.fs.root(bufnr, { ".git" }) or vim.fs.dirname(vim.api.nvim_buf_get_name(bufnr)))
    end
  end,
  init_options = { deep = true },
})
vim.lsp.enable("cedarcheck")

-- The Evaluate lenses above tested policies (`:lua vim.lsp.codelens.run()` runs one; its
-- answer shows as a message): asked for when a policy is opened or left in normal mode,
-- and again when the server says the tests changed.
vim.api.nvim_create_autocmd({ "LspAttach", "BufEnter", "InsertLeave", "BufWritePost" }, {
  pattern = "*.cedar",
  callback = function(args)
    if #vim.lsp.get_clients({ bufnr = args.buf, name = "cedarcheck" }) > 0 then
      vim.lsp.codelens.refresh({ bufnr = args.buf })
    end
  end,
})
