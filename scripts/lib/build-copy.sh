# Sourced by scripts/newman.sh, scripts/deploy-check.sh and scripts/readme-check.sh.
#
# copy_tree ROOT DEST: copies the sources of ROOT into DEST, node_modules linked (not copied).
# build_copy ROOT DEST: copy_tree, then `npm run tsc` in DEST, as `npm start` does.
# Compiled .js never lands in the working tree: tests and `npm run dev` running there at the same time are not
# disturbed (egg refuses to load app/x.js next to app/x.ts), and no `ets clean` is needed afterwards.
copy_tree() {
  local root=$1 dest=$2
  mkdir -p "$dest" || return 1
  tar -C "$root" \
    --exclude=./node_modules --exclude=./.git --exclude=./data --exclude=./logs --exclude=./run \
    --exclude=./coverage --exclude=./bench --exclude=./test --exclude=./typings/app --exclude=./typings/config \
    -cf - . | tar -C "$dest" -xf - || return 1
  ln -s "$root/node_modules" "$dest/node_modules"
}

build_copy() {
  copy_tree "$1" "$2" || return 1
  (cd "$2" && npm run -s tsc) >"$2/.build.log" 2>&1 || { cat "$2/.build.log"; return 1; }
}

# free_port: prints a TCP port nothing listens on.
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
