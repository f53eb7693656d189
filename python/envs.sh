# Pinned Python environments of the login module's tests, shared by run-tests.sh and mutation/run.sh (sourced;
# paths are relative to python/). requirements/<name>.txt pins each; .venv-<name> is made on first use and
# again when the pins change. The "mutation" environment is sac481 plus coverage (mutation/mutate.py).

env_python() { # name -> "wanted-version minimum-version"
  case $1 in
    sac470 | sac481 | mutation) echo "3.10 3.10" ;;
    sac48latest) echo "3.12 3.10" ;;
    django60 | netbox47) echo "3.12 3.12" ;;
    *) return 1 ;;
  esac
}

env_netbox() { # name -> the NetBox release the environment stands for
  case $1 in
    sac470) echo 4.4.2 ;;
    sac481 | mutation) echo 4.4.8 ;;
    sac48latest) echo 4.5.10 ;;
    django60) echo 4.6.8 ;;
    netbox47) echo 4.7.3 ;;
    *) return 1 ;;
  esac
}

# find_python WANT MIN: an interpreter of version WANT if there is one, else any >= MIN.
find_python() {
  local want=$1 min=$2 root candidates=() c
  root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  candidates+=("python$want")
  candidates+=("$root"/versions/"$want".*/bin/python)
  candidates+=(python3 python3.13 python3.12 python3.11 python3.10 "$root"/versions/3.*/bin/python)
  for c in "${candidates[@]}"; do
    if "$c" -c "import sys; sys.exit(0 if sys.version_info[:2] >= tuple(map(int, '$min'.split('.'))) else 1)" \
      >/dev/null 2>&1; then
      command -v "$c" 2>/dev/null || echo "$c"
      return 0
    fi
  done
  return 1
}

# setup_env NAME: make .venv-NAME from requirements/NAME.txt unless it is up to date.
setup_env() {
  local name=$1 venv=".venv-$1" req="requirements/$1.txt" want min py stamp
  read -r want min < <(env_python "$name") || { echo "unknown environment $name" >&2; return 1; }
  py=$(find_python "$want" "$min") || { echo "$name: no Python >= $min found (set PY_ENVS to skip it)" >&2; return 1; }
  # the stamp covers the file and the files it includes with -r
  stamp="$(cat "$req" $(sed -n 's|^-r  *|requirements/|p' "$req") | sha256sum | cut -d' ' -f1) $py"
  if [[ -x $venv/bin/python ]] && "$venv/bin/python" -c '' 2>/dev/null && [[ $(cat "$venv/.stamp" 2>/dev/null) == "$stamp" ]]; then
    return 0
  fi
  rm -rf "$venv"
  "$py" -m venv "$venv" || return 1
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-input -r "$req" >"$venv.install.log" 2>&1 || {
    echo "$name: pip install failed:" >&2
    tail -20 "$venv.install.log" >&2
    return 1
  }
  rm -f "$venv.install.log"
  echo "$stamp" >"$venv/.stamp"
}

