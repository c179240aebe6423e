# bash completion for imgpool
_imgpool() {
  local cur prev words cword
  _init_completion 2>/dev/null || { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; }
  local opts="--gray --grey --resize --format --quality --lossless --png-level --sampling --progressive
    --optimize --no-autorotate --no-embedded-thumbnail --keep-profile --strip --max-pixels --force
    --procs -j --out -o --recursive -r --hidden --files-from --null -0 --shard --shards
    --max-memory --timeout --dry-run -n --quiet -q --report --trace --timeline --help -h --version -V"
  case $prev in
    --format) COMPREPLY=($(compgen -W "png jpg webp avif tiff bmp tga" -- "$cur")); return;;
    --sampling) COMPREPLY=($(compgen -W "420 422 444" -- "$cur")); return;;
    --out|-o|--report|--trace|--files-from) COMPREPLY=($(compgen -f -- "$cur")); return;;
    --resize) COMPREPLY=($(compgen -W "256x256 50% 800x x600 '1024x1024>'" -- "$cur")); return;;
    --procs|-j|--quality|--png-level|--max-pixels|--max-memory|--timeout|--shard|--shards) return;;
  esac
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "xkcd demo report" -- "$cur") $(compgen -d -- "$cur"))
    [ "${cur#-}" = "$cur" ] || COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return
  fi
  case ${COMP_WORDS[1]} in
    demo)
      if [ "$COMP_CWORD" -eq 2 ]; then
        COMPREPLY=($(compgen -W "list tour $(imgpool demo list 2>/dev/null | awk '{print $1}')" -- "$cur"))
      else
        COMPREPLY=($(compgen -W "--help --lang --show-code --timeline --trace --gil --offline
          --width" -- "$cur"))
      fi
      return;;
    report) COMPREPLY=($(compgen -W "merge" -- "$cur") $(compgen -f -X '!*.json' -- "$cur")); return;;
    xkcd) COMPREPLY=($(compgen -W "--threads -t --sequential --compare --out -o --base-url
      --cacert --retries --retry-delay --connect-timeout --request-timeout --low-speed-limit
      --low-speed-time --force --trace --verbose -v --quiet -q --gray --resize --format
      --quality --png-level --sampling --progressive --optimize --procs -j --max-memory
      --max-pixels --timeout --help" -- "$cur"))
      return;;
  esac
  case $cur in
    -*) COMPREPLY=($(compgen -W "$opts" -- "$cur"));;
    *) COMPREPLY=($(compgen -f -- "$cur"));;
  esac
}
complete -F _imgpool imgpool
