# Start and stop the servers of an e2e run (PostgreSQL, Redis, Keycloak) and the /etc/hosts entries
# that stand in for cluster DNS. Sourced by run.sh; lib.sh first.

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
HOSTS_MARK="# netbox-sso e2e"

# hosts_add NAME...: resolve the chart's Service names to loopback, as cluster DNS resolves them to
# their ClusterIPs. Marked lines, removed again by hosts_remove.
hosts_add() {
  hosts_remove
  local n
  for n in "$@"; do printf '%s %s %s\n' "$BIND" "$n" "$HOSTS_MARK" >>/etc/hosts; done
}
hosts_remove() {
  # /etc/hosts may be a bind mount: rewrite in place, never replace the file.
  local kept
  kept=$(grep -v -F "$HOSTS_MARK" /etc/hosts || true)
  printf '%s\n' "$kept" >/etc/hosts
}

# start_postgres PASSWORD: a fresh cluster in $RUN/pg on $BIND:5432 with role and database "netbox",
# the password being the one in the chart's PostgreSQL Secret (as the PostgreSQL subchart would set it).
start_postgres() {
  local password=$1 user=${2:-netbox} db=${3:-netbox}
  port_free 5432 || { echo "port 5432 is taken"; return 1; }
  rm -rf "$RUN/pg" "$RUN/pgsock"
  mkdir -p "$RUN/pg" "$RUN/pgsock"
  : >"$LOGS/postgresql.log"
  chown postgres: "$RUN/pg" "$RUN/pgsock" "$LOGS/postgresql.log"
  chmod 700 "$RUN/pg"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$RUN/pg" -U postgres --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$RUN/pg" -l "$LOGS/postgresql.log" -w -t 60 start \
    -o "-c listen_addresses=$BIND -p 5432 -k $RUN/pgsock -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  runuser -u postgres -- "$PG_BIN/psql" -h "$RUN/pgsock" -p 5432 -U postgres -v ON_ERROR_STOP=1 -q \
    -v user="$user" -v pw="$password" -v db="$db" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'pw';
CREATE DATABASE :"db" OWNER :"user";
SQL
}
stop_postgres() {
  [ -f "$RUN/pg/postmaster.pid" ] || return 0
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$RUN/pg" -m fast -w -t 30 stop >/dev/null 2>&1 || true
}

# start_redis PASSWORD: Redis on $BIND:6379, requirepass from the chart's Valkey Secret.
start_redis() {
  local password=$1
  port_free 6379 || { echo "port 6379 is taken"; return 1; }
  rm -rf "$RUN/redis" && mkdir -p "$RUN/redis"
  printf 'bind %s\nport 6379\nrequirepass %s\ndir %s\nsave ""\nappendonly no\ndaemonize yes\npidfile %s\nlogfile %s\n' \
    "$BIND" "$password" "$RUN/redis" "$RUN/redis/redis.pid" "$LOGS/redis.log" >"$RUN/redis/redis.conf"
  chmod 600 "$RUN/redis/redis.conf"
  redis-server "$RUN/redis/redis.conf"
  wait_for redis 30 test -s "$RUN/redis/redis.pid"
}
stop_redis() {
  local pid
  pid=$(cat "$RUN/redis/redis.pid" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || true
  wait_for "redis to stop" 20 sh -c "! kill -0 $pid"
}

# start_keycloak: start-dev on $BIND:$KEYCLOAK_PORT with a fresh dev database, the realm imported from
# realm.json and a bootstrap admin. Waits until the realm answers.
start_keycloak() {
  port_free "$KEYCLOAK_PORT" || { echo "port $KEYCLOAK_PORT is taken"; return 1; }
  rm -rf "$KEYCLOAK_HOME/data"
  mkdir -p "$KEYCLOAK_HOME/data/import"
  cp "$E2E_DIR/realm.json" "$KEYCLOAK_HOME/data/import/acme-realm.json"
  local t0=$SECONDS
  # setsid: its own process group, so stop_keycloak ends the launcher script and the JVM together.
  KC_BOOTSTRAP_ADMIN_USERNAME=$KC_ADMIN_USER KC_BOOTSTRAP_ADMIN_PASSWORD=$KC_ADMIN_PASSWORD \
    setsid "$KEYCLOAK_HOME/bin/kc.sh" start-dev --http-host="$BIND" --http-port="$KEYCLOAK_PORT" \
    --import-realm --log-console-output=default >"$LOGS/keycloak.log" 2>&1 </dev/null &
  echo $! >"$RUN/keycloak.pid"
  # generous: a first start builds Keycloak (Quarkus), minutes on a busy 2-core machine
  wait_for keycloak 900 curl -sf "http://$BIND:$KEYCLOAK_PORT/realms/$REALM/.well-known/openid-configuration" || {
    tail -n 30 "$LOGS/keycloak.log"; return 1; }
  echo "keycloak answered after $((SECONDS - t0))s"
}
stop_keycloak() {
  local pid
  pid=$(cat "$RUN/keycloak.pid" 2>/dev/null) || return 0
  kill -TERM -- "-$pid" 2>/dev/null || true
  wait_for "keycloak to stop" 30 sh -c "! kill -0 $pid" || kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$RUN/keycloak.pid"
}

# stop_netbox: end the NetBox web server (gunicorn, its own process group) should the tests not have.
stop_netbox() {
  local pid
  pid=$(cat "$RUN/netbox.pid" 2>/dev/null) || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    wait_for "netbox to stop" 15 sh -c "! kill -0 $pid" || kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/netbox.pid"
}

# start_tls_proxy: nginx (Debian's) on $BIND:$TLS_PORT terminating TLS for https://$TLS_HOST:$TLS_PORT and
# passing requests to NetBox on $BIND:$NETBOX_PORT, as an ingress controller does: Host kept,
# X-Forwarded-For/-Proto set. The certificate is self-signed, made here for this run (its own trust anchor:
# $RUN/tls/cert.pem).
start_tls_proxy() {
  port_free "$TLS_PORT" || { echo "port $TLS_PORT is taken"; return 1; }
  local d=$RUN/tls
  rm -rf "$d" && mkdir -p "$d/tmp"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$TLS_HOST" \
    -addext "subjectAltName=DNS:$TLS_HOST" -keyout "$d/key.pem" -out "$d/cert.pem" 2>&1
  chmod 600 "$d/key.pem"
  cat >"$d/nginx.conf" <<CONF
user root;  # the workers write proxy buffers into the run dir
pid $d/nginx.pid;
error_log $LOGS/nginx-error.log info;
worker_processes 1;
events { worker_connections 64; }
http {
  access_log $LOGS/nginx-access.log;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  server {
    listen $BIND:$TLS_PORT ssl;
    server_name $TLS_HOST;
    ssl_certificate $d/cert.pem;
    ssl_certificate_key $d/key.pem;
    location / {
      proxy_pass http://$BIND:$NETBOX_PORT;
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_read_timeout 120s;
    }
  }
}
CONF
  nginx -e "$LOGS/nginx-error.log" -t -c "$d/nginx.conf" && nginx -e "$LOGS/nginx-error.log" -c "$d/nginx.conf"
  wait_for nginx 20 test -s "$d/nginx.pid"
}
stop_tls_proxy() {
  local pid
  pid=$(cat "$RUN/tls/nginx.pid" 2>/dev/null) || return 0
  kill -QUIT "$pid" 2>/dev/null || true
  wait_for "nginx to stop" 20 sh -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
}
