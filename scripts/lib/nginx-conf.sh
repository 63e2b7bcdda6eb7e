# Sourced by scripts/deploy-check.sh and scripts/cluster.sh.
#
# nginx_conf DIR LISTEN_PORT SNIPPET UPSTREAM_PORT...: writes DIR/eggchat.conf (deploy/nginx.conf SNIPPET with
# its upstream on 127.0.0.1:UPSTREAM_PORT…, listening on 127.0.0.1:LISTEN_PORT) and DIR/nginx.conf, a minimal
# main file around it whose pid, logs and temp files stay in DIR. Prints the main file's path.
nginx_conf() {
  local dir=$1 listen=$2 snippet=$3 upstream="" port
  shift 3
  for port in "$@"; do upstream+="${upstream:+\\n    }server 127.0.0.1:$port max_fails=1 fail_timeout=2s;"; done
  mkdir -p "$dir/logs"
  sed -e "s#server 127.0.0.1:7001;#$upstream#" -e "s#listen 80;#listen 127.0.0.1:$listen;#" "$snippet" >"$dir/eggchat.conf"
  cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 1024; }
http {
  # The combined format plus the instance that answered (scripts/cluster-http.js counts them).
  log_format upstream '\$remote_addr - \$remote_user [\$time_local] "\$request" \$status \$body_bytes_sent "\$http_referer" "\$http_user_agent" upstream=\$upstream_addr';
  access_log $dir/logs/access.log upstream;
  client_body_temp_path $dir/body; proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fcgi; uwsgi_temp_path $dir/uwsgi; scgi_temp_path $dir/scgi;
  include $dir/eggchat.conf;
}
CONF
  echo "$dir/nginx.conf"
}
