;;; cedarcheck.el --- cedarcheck language server through eglot -*- lexical-binding: t; -*-

;; Load with (load "/path/to/cedarcheck.el"), with `cedarcheck' on `exec-path'.

(require 'eglot)

(define-derived-mode cedar-mode prog-mode "Cedar"
  "Major mode for Cedar policy files."
  (setq-local comment-start "// ")
  (setq-local comment-end ""))

(define-derived-mode cedarschema-mode prog-mode "Cedar-Schema"
  "Major mode for Cedar schema files."
  (setq-local comment-start "// ")
  (setq-local comment-end ""))

(add-to-list 'auto-mode-alist '("\\.cedar\\'" . cedar-mode))
(add-to-list 'auto-mode-alist '("\\.cedarschema\\'" . cedarschema-mode))

(add-to-list 'eglot-server-programs
             '((cedar-mode cedarschema-mode)
               . ("cedarcheck" "lsp" :initializationOptions (:deep t))))

(add-hook 'cedar-mode-hook #'eglot-ensure)
(add-hook 'cedarschema-mode-hook #'eglot-ensure)

(provide 'cedarcheck)
;;; cedarcheck.el ends here
