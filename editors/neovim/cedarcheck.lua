-- cedarcheck language server for Neovim 0.11+ (plain vim.lsp; no plugin needed).
-- Put this file in ~/.config/nvim/plugin/ or `require` it from init.lua.
vim.filetype.add({
  extension = { cedar = "cedar", cedarschema = "cedarschema" },
})

vim.lsp.config("cedarcheck", {
  cmd = { "cedarcheck", "lsp" },
  filetypes = { "cedar", "cedarschema" },
  root_markers = { "cedarcheck.toml", ".git" },
  init_options = { deep = true },
})
vim.lsp.enable("cedarcheck")
