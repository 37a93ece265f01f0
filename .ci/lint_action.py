#!/usr/bin/env python3
"""Lints action.yml, the composite action (README "GitHub Actions"), with the tools that lint
workflows: actionlint checks workflows only, so each shell step's script is written to
DIR/step-NN.sh for shellcheck, and the steps are wrapped in a reusable workflow,
DIR/action-as-workflow.yml, whose inputs are the action's, for actionlint (expressions,
`uses:` inputs, and shellcheck again with its view of `${{ }}`).

The README's workflows (its ```yaml blocks that start with `name:`) are written to
DIR/readme-N.yml with `<owner>/cedarcheck@…` as `./`, so that actionlint checks the inputs
they give the action against action.yml.

Usage: lint_action.py ACTION_YML README DIR
"""

import pathlib
import re
import sys

import yaml


def main() -> int:
    action_path, readme, out = map(pathlib.Path, sys.argv[1:4])
    out.mkdir(parents=True, exist_ok=True)
    action = yaml.safe_load(action_path.read_text())
    runs = action.get("runs", {})
    if runs.get("using") != "composite":
        print(f"{action_path}: runs.using is not composite", file=sys.stderr)
        return 1
    problems = []
    scripts = 0
    for number, step in enumerate(runs["steps"], 1):
        name = step.get("name", f"step {number}")
        if "run" in step:
            if step.get("shell") != "bash":
                problems.append(f"{action_path}: step {number} ({name}): `shell: bash` is required")
                continue
            # An expression is substituted by the runner before bash runs: a word to shellcheck.
            script = re.sub(r"\$\{\{.*?\}\}", "EXPRESSION", step["run"], flags=re.S)
            path = out / f"step-{number:02}.sh"
            path.write_text(f"#!/usr/bin/env bash\n# {action_path}: {name}\n{script}")
            scripts += 1
        elif "uses" not in step:
            problems.append(f"{action_path}: step {number} ({name}): neither run nor uses")
    workflow = {
        "name": "action.yml as a workflow",
        "on": {
            "workflow_call": {
                "inputs": {
                    name: {"type": "string", "required": False}
                    for name in action.get("inputs", {})
                }
            }
        },
        "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": runs["steps"]}},
    }
    (out / "action-as-workflow.yml").write_text(yaml.safe_dump(workflow, sort_keys=False))
    blocks = re.findall(r"^```yaml\n(name:.*?)^```$", readme.read_text(), flags=re.S | re.M)
    for number, block in enumerate(blocks, 1):
        block = re.sub(r"<owner>/cedarcheck@\S+", "./", block)
        (out / f"readme-{number}.yml").write_text(block)
    print(f"{readme}: {len(blocks)} workflows")
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{action_path}: {scripts} shell steps")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
