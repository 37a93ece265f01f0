-- cedarcheck's language server, started by itself on Neovim 0.11+ when editors/neovim is on
-- the runtimepath (a plugin manager, or `vim.opt.runtimepath:append(...)`): the `cedar` and
-- `cedarschema` file types, `vim.lsp.enable('cedarcheck')` with lsp/cedarcheck.lua (override
-- it with `vim.lsp.config('cedarcheck', { ... })` in init.lua), and the Evaluate lenses.
-- Older Neovim: call `require('cedarcheck').setup()` from init.lua instead (on 0.11 too when
-- options are wanted: this file then does nothing more).
-- `vim.g.cedarcheck_no_setup = true` keeps this file from doing anything.
if vim.g.loaded_cedarcheck or vim.g.cedarcheck_no_setup then
  return
end
vim.g.loaded_cedarcheck = true
if vim.fn.has('nvim-0.11') == 1 and not require('cedarcheck').did_setup then
  require('cedarcheck').setup()
end
