-- cedarcheck's language server in Neovim, from 0.7 on: `require('cedarcheck').setup(opts)`.
--   0.11+        vim.lsp.config('cedarcheck', opts) over lsp/cedarcheck.lua, then vim.lsp.enable
--   0.8–0.10     with nvim-lspconfig: registers `cedarcheck` with it and calls its setup(opts);
--                without: vim.lsp.start on the FileType of each Cedar or test file
--   0.7          vim.lsp.start_client, one per root, and buf_attach_client
-- opts: the client's fields (`cmd`, `init_options`, …), merged over the defaults below.
-- See editors/neovim/README.md.
local M = {}

-- Every autocommand of the setup, cleared when it runs again.
local group

M.defaults = {
  cmd = { 'cedarcheck', 'lsp' },
  filetypes = { 'cedar', 'cedarschema', 'json' },
  init_options = { deep = true },
}

--- The root of the server for `path`: the directory of the nearest cedarcheck.toml; else,
--- for a policy or schema, the repository (.git) or the file's directory. nil for JSON
--- outside a cedarcheck workspace, which is no test file.
function M.root(path, filetype)
  local dir = vim.fn.fnamemodify(path, ':p:h')
  local config = vim.fn.findfile('cedarcheck.toml', dir .. ';')
  if config ~= '' then
    return vim.fn.fnamemodify(config, ':p:h')
  end
  if filetype == 'json' then
    return nil
  end
  local git = vim.fn.finddir('.git', dir .. ';')
  if git ~= '' then
    return vim.fn.fnamemodify(git, ':p:h:h')
  end
  return dir
end

local function register_filetypes()
  if vim.fn.has('nvim-0.8') == 1 then
    vim.filetype.add({ extension = { cedar = 'cedar', cedarschema = 'cedarschema' } })
  else
    -- 0.7 detects file types in Vim script, which knows no Cedar: set them directly.
    vim.api.nvim_create_autocmd({ 'BufRead', 'BufNewFile' }, {
      group = group,
      pattern = { '*.cedar', '*.cedarschema' },
      callback = function(args)
        vim.bo[args.buf].filetype = vim.fn.fnamemodify(args.file, ':e')
      end,
    })
  end
end

local function is_attached(bufnr)
  if vim.fn.has('nvim-0.8') == 1 then
    local get = vim.lsp.get_clients or vim.lsp.get_active_clients
    return #get({ bufnr = bufnr, name = 'cedarcheck' }) > 0
  end
  for _, client in pairs(vim.lsp.buf_get_clients(bufnr)) do
    if client.name == 'cedarcheck' then
      return true
    end
  end
  return false
end

-- The Evaluate lenses above tested policies (`:lua vim.lsp.codelens.run()` runs one; its
-- answer shows as a message): asked for when a policy is opened, entered, left in normal
-- mode or written.
local function refresh_lenses()
  local events = { 'BufEnter', 'InsertLeave', 'BufWritePost' }
  if vim.fn.has('nvim-0.8') == 1 then
    table.insert(events, 'LspAttach')
  end
  vim.api.nvim_create_autocmd(events, {
    group = group,
    pattern = '*.cedar',
    callback = function(args)
      if is_attached(args.buf) then
        if vim.fn.has('nvim-0.10') == 1 then
          vim.lsp.codelens.refresh({ bufnr = args.buf })
        else
          vim.lsp.codelens.refresh()
        end
      end
    end,
  })
end

-- Without vim.lsp.config: start (or reuse) the server of the buffer's root on its FileType.
local function start_on_filetype(config)
  local clients = {} -- root -> client id, for 0.7's start_client
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = config.filetypes,
    callback = function(args)
      local path = vim.api.nvim_buf_get_name(args.buf)
      if path == '' then
        return
      end
      local root = M.root(path, vim.bo[args.buf].filetype)
      if not root then
        return
      end
      local client_config = vim.tbl_deep_extend('force', config, { name = 'cedarcheck', root_dir = root })
      client_config.filetypes = nil
      if vim.lsp.start then
        vim.lsp.start(client_config, { bufnr = args.buf })
        return
      end
      local id = clients[root]
      if not (id and vim.lsp.get_client_by_id(id)) then
        id = vim.lsp.start_client(client_config)
        clients[root] = id
      end
      if id then
        vim.lsp.buf_attach_client(args.buf, id)
      end
    end,
  })
end

function M.setup(opts)
  opts = opts or {}
  M.did_setup = true
  group = vim.api.nvim_create_augroup('cedarcheck', { clear = true })
  register_filetypes()
  if vim.lsp.config and vim.lsp.enable then
    -- lsp/cedarcheck.lua on the runtimepath is the base; opts override its fields.
    vim.lsp.config('cedarcheck', opts)
    vim.lsp.enable('cedarcheck')
  else
    local config = vim.tbl_deep_extend('force', M.defaults, opts)
    local has_lspconfig, configs = pcall(require, 'lspconfig.configs')
    if has_lspconfig then
      if not configs.cedarcheck then
        configs.cedarcheck = {
          default_config = vim.tbl_deep_extend('force', M.defaults, {
            root_dir = function(fname)
              local bufnr = vim.fn.bufnr(fname)
              return M.root(fname, bufnr >= 0 and vim.bo[bufnr].filetype or nil)
            end,
          }),
          docs = { description = 'cedarcheck lsp: Cedar policies, schemas and test files' },
        }
      end
      require('lspconfig').cedarcheck.setup(opts)
    else
      start_on_filetype(config)
    end
  end
  refresh_lenses()
end

return M
