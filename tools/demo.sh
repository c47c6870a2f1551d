#!/usr/bin/env bash
# A walk through Liaison: builds `liaison` when needed, then, in a fresh demo-out/,
# sets up the city office's certificate authority and hub daemon and three offices
# (Qingshan Town, Hexi Subdistrict, the Municipal Departments Group) on 127.0.0.1.
# Reference data flows down and records flow up in nightly syncs over mutual TLS; the
# offices work offline in between, one edit collides with the city office's (the
# conflict journal keeps the losing value), and one office tries to change the city's
# criteria (the hub keeps that change in quarantine, and the office re-seeds). At the
# end: the merged master copy, the conflict journal and `liaison hub status`, then
# the auditor's tools on the hub's hash-chained log, and a hub whose operators rewrite
# its history caught by the next office that syncs with it.
#
#   tools/demo.sh                      build in build/, write demo-out/
#   LIAISON_BUILD_DIR=out tools/demo.sh   use another build directory
set -euo pipefail
cd "$(dirname "$0")/.."

build="${LIAISON_BUILD_DIR:-build}"
if [[ ! -f "$build/build.ninja" ]]; then
  if [[ -x tools/setup.sh ]]; then tools/setup.sh; fi
  cmake -S . -B "$build" -G Ninja >/dev/null
fi
ninja -C "$build" liaison >/dev/null
liaison="$PWD/$build/cli/liaison"

out=demo-out
rm -rf "$out"
mkdir -p "$out"
cd "$out"

section() { printf '\n==== %s ====\n\n' "$*"; }
step() { printf -- '-- %s\n' "$*"; }
# Runs liaison and echoes the command first, for the steps worth reading.
show() {
  local arg line='$ liaison'
  for arg in "$@"; do
    if [[ $arg =~ [[:space:]\'\"\(\)] ]]; then line+=" \"$arg\""; else line+=" $arg"; fi
  done
  printf '%s\n' "$line"
  "$liaison" "$@"
  echo
}

section "The city office's certificate authority"
show pki init-ca pki
for office in town-a sub-b muni-1; do
  "$liaison" pki issue pki --office "$office"
done

section "Creating replicas"
"$liaison" init --hub --db city.db --office city
"$liaison" init --db town-a.db --office town-a
"$liaison" init --db sub-b.db --office sub-b
"$liaison" init --db muni-1.db --office muni-1

# ---------------------------------------------------------------- the hub (city office)
section "City office (hub): offices, criteria, city deputies"
C=(--db city.db)
"$liaison" office add "${C[@]}" --id city --kind city \
  --name "Lianhe City People's Congress Standing Committee (市人大常委会)" >/dev/null
"$liaison" office add "${C[@]}" --id town-a --kind town --parent city \
  --name "Qingshan Town (青山镇)" >/dev/null
"$liaison" office add "${C[@]}" --id sub-b --kind subdistrict --parent city \
  --name "Hexi Subdistrict (河西街道)" >/dev/null
"$liaison" office add "${C[@]}" --id muni-1 --kind municipal_group --parent city \
  --name "Municipal Departments Group (市直口代表组)" \
  --lead-department "Development and Reform Commission (发改委)" >/dev/null

crit_a1=$("$liaison" criterion add "${C[@]}" --year 2026 --code A1 --max-points 20 \
  --title "Deputy groups meet at least once a quarter, with logs and attendance")
crit_a2=$("$liaison" criterion add "${C[@]}" --year 2026 --code A2 --max-points 25 \
  --title "Every town-level deputy links at least 10 voters across categories")
crit_a3=$("$liaison" criterion add "${C[@]}" --year 2026 --code A3 --max-points 20 \
  --title "Information reports forwarded and answered")
"$liaison" criterion add "${C[@]}" --year 2026 --code A4 --max-points 15 \
  --title "Plans and commitments reviewed, with reasons for what was not done" >/dev/null

liu_yang=$("$liaison" deputy add "${C[@]}" --name "Liu Yang (刘洋)" --level city \
  --sector manufacturing)
sun_li=$("$liaison" deputy add "${C[@]}" --name "Sun Li (孙丽)" --level city --sector education)
zhou_jun=$("$liaison" deputy add "${C[@]}" --name "Zhou Jun (周军)" --level city --office muni-1 \
  --sector "development planning")
muni_group=$("$liaison" group add "${C[@]}" --office muni-1 \
  --name "Municipal Departments Deputy Group (市直口代表小组)" --venue "Room 305, City Hall")
"$liaison" member add "${C[@]}" --group "$muni_group" --deputy "$zhou_jun" --role leader >/dev/null
"$liaison" member add "${C[@]}" --group "$muni_group" --deputy "$liu_yang" >/dev/null
"$liaison" activity add "${C[@]}" --office muni-1 --group "$muni_group" --kind inspection \
  --held-on 2026-04-22 --title "Inspection of the new bus interchange (公交枢纽视察)" \
  --summary "Checked progress against the 2026 plan; asked for night services." \
  --attendee "$zhou_jun" --attendee "$liu_yang" >/dev/null
step "recorded 4 offices, 4 criteria for 2026, 3 city deputies, 1 group, 1 activity"

# ------------------------------------------------------------------------ the hub daemon
section "The hub daemon (liaison hub serve) on 127.0.0.1"
# Starts `liaison hub serve` on DB in the background, its output in NAME.out and
# NAME.log; sets hub_pid and hub_addr once it listens (waits at most 10 s).
start_hub() {
  local db=$1 name=$2
  "$liaison" hub serve --db "$db" --listen 127.0.0.1:0 --pki pki >"$name.out" 2>"$name.log" &
  hub_pid=$!
  trap 'kill "$hub_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 100); do
    grep -q '^listening on ' "$name.out" 2>/dev/null && break
    sleep 0.1
  done
  hub_addr=$(sed -n 's/^listening on //p' "$name.out")
  [[ -n $hub_addr ]] || { echo "the hub did not start:" >&2; cat "$name.log" >&2; exit 1; }
}

printf '$ liaison hub serve --db city.db --listen 127.0.0.1:0 --pki pki &\n'
start_hub city.db hub
cat hub.out

# One sync round of an office with the hub, echoed like `show`.
sync_office() {
  local office=$1
  shift
  printf '$ liaison sync --db %s.db --hub %s --cert pki/offices/%s.crt --key pki/offices/%s.key --ca pki/ca.crt %s\n' \
    "$office" "$hub_addr" "$office" "$office" "$*"
  "$liaison" sync --db "$office.db" --hub "$hub_addr" --cert "pki/offices/$office.crt" \
    --key "pki/offices/$office.key" --ca pki/ca.crt "$@"
  echo
}

# ----------------------------------------------------------- reference data flows down
section "First nightly sync: the hub's reference data reaches the offices"
for office in town-a sub-b muni-1; do sync_office "$office"; done

# ------------------------------------------------------------- Qingshan Town (town-a)
section "Qingshan Town (town-a): deputies, group, voters, links, activities"
A=(--db town-a.db)
step "the town's own records"
zhang=$("$liaison" deputy add "${A[@]}" --name "Zhang Wei (张伟)" --level town --sector agriculture)
wang=$("$liaison" deputy add "${A[@]}" --name "Wang Fang (王芳)" --level town --sector education)
chen=$("$liaison" deputy add "${A[@]}" --name "Chen Gang (陈刚)" --level town \
  --sector "small business")
group=$("$liaison" group add "${A[@]}" --name "Qingshan Group One (青山第一代表小组)" \
  --venue "Deputies' Home, Qingshan Town Hall (代表之家)")
"$liaison" member add "${A[@]}" --group "$group" --deputy "$zhang" --role leader >/dev/null
"$liaison" member add "${A[@]}" --group "$group" --deputy "$wang" >/dev/null
"$liaison" member add "${A[@]}" --group "$group" --deputy "$chen" >/dev/null

declare -A voter
while IFS='|' read -r key name category contact; do
  voter[$key]=$("$liaison" voter add "${A[@]}" --name "$name" --category "$category" \
    --contact "$contact")
done <<'EOF'
li_na|Li Na (李娜)|woman|Xincun village, 138-0000-0101
zhao_qiang|Zhao Qiang (赵强)|worker|Qingshan cement works
wu_min|Wu Min (吴敏)|farmer|Xincun village, group 3
huang_lei|Huang Lei (黄磊)|cadre|Xincun village committee
xu_jing|Xu Jing (徐静)|intellectual|Qingshan middle school
ma_chao|Ma Chao (马超)|farmer|Dongshan village
zhu_hong|Zhu Hong (朱红)|woman|Dongshan village
he_ping|He Ping (何平)|other|Qingshan market
EOF

"$liaison" link add "${A[@]}" --from "$liu_yang" --to "$zhang" --started-on 2026-01-05 >/dev/null
"$liaison" link add "${A[@]}" --from "$liu_yang" --to "$wang" --started-on 2026-01-05 >/dev/null
for v in li_na zhao_qiang wu_min huang_lei he_ping; do
  "$liaison" link add "${A[@]}" --from "$zhang" --to "${voter[$v]}" --started-on 2026-01-10 \
    >/dev/null
done
for v in xu_jing ma_chao zhu_hong; do
  "$liaison" link add "${A[@]}" --from "$wang" --to "${voter[$v]}" --started-on 2026-01-12 \
    >/dev/null
done
"$liaison" link end "${A[@]}" --from "$zhang" --to "${voter[he_ping]}" --ended-on 2026-06-30 \
  >/dev/null

"$liaison" activity add "${A[@]}" --kind study --held-on 2026-01-20 --group "$group" \
  --title "Study session on the Deputies Law (代表法学习)" \
  --attendee "$zhang" --attendee "$wang" --attendee "$chen" >/dev/null
"$liaison" activity add "${A[@]}" --kind congress_session --held-on 2026-02-15 \
  --title "Second session of the 18th Qingshan Town People's Congress (镇人代会)" \
  --attendee "$zhang" --attendee "$wang" --attendee "$chen" >/dev/null
"$liaison" activity add "${A[@]}" --kind research --held-on 2026-03-12 --group "$group" \
  --title "Survey of rural road maintenance (农村道路养护调研)" \
  --summary "Walked 6 km of village roads with 12 villagers; three sections need repair." \
  --attendee "$zhang" --attendee "$chen" >/dev/null
"$liaison" activity add "${A[@]}" --kind supervision --held-on 2026-05-08 \
  --title "Supervision of the town's drinking-water project (饮水工程监督)" \
  --attendee "$wang" >/dev/null

report=$("$liaison" report add "${A[@]}" --deputy "$zhang" --reported-on 2026-03-15 \
  --topic "Irrigation canal in Xincun leaks (新村水渠渗漏)" \
  --content "Wu Min and eleven other farmers ask for repairs before the summer planting.")
"$liaison" report edit "${A[@]}" --id "$report" --status forwarded >/dev/null
"$liaison" report add "${A[@]}" --deputy "$wang" --reported-on 2026-04-02 \
  --topic "School bus route for Dongshan village" \
  --content "Parents ask for a stop at the Dongshan crossroads." >/dev/null

"$liaison" commitment add "${A[@]}" --deputy "$zhang" --kind plan_task --status in_progress \
  --title "Visit each linked voter once a quarter" --due-on 2026-12-31 >/dev/null
lights=$("$liaison" commitment add "${A[@]}" --deputy "$zhang" --kind commitment \
  --title "Street lights for Xincun main road (新村路灯)" --due-on 2026-06-30)
"$liaison" commitment edit "${A[@]}" --id "$lights" --status done >/dev/null
"$liaison" commitment add "${A[@]}" --deputy "$chen" --kind commitment --status not_done \
  --title "Weekend farmers' market" --due-on 2026-05-31 \
  --reason "The town has not approved the site yet" >/dev/null

"$liaison" score add "${A[@]}" --office town-a --criterion "$crit_a1" --assessment self \
  --points 18 --assessor "Wang Fang (王芳)" --note "Four group meetings logged" >/dev/null
"$liaison" score add "${A[@]}" --office town-a --criterion "$crit_a2" --assessment self \
  --points 17 --assessor "Wang Fang (王芳)" --note "Two deputies below 10 voters" >/dev/null
"$liaison" case add "${A[@]}" --reported-on 2026-06-18 \
  --title "Green channel settles a land-use dispute (民情绿色通道化解土地纠纷)" \
  --description "A voter's complaint reached the town deputy, then the city deputy; settled in 3 weeks." \
  >/dev/null
step "recorded 3 town deputies, 1 group, 8 voters, 10 links, 4 activities, reports,"
step "commitments, a self-assessment and an exemplary case"

# ---------------------------------------------------------- Hexi Subdistrict (sub-b)
section "Hexi Subdistrict (sub-b): voter representatives instead of town deputies"
B=(--db sub-b.db)
step "a subdistrict has no town-level deputies, so this is refused:"
printf '$ liaison deputy add --db sub-b.db --name "Guo Hua (郭华)" --level town\n'
"$liaison" deputy add "${B[@]}" --name "Guo Hua (郭华)" --level town || true
echo

rep=$("$liaison" voter add "${B[@]}" --name "Guo Hua (郭华)" --category cadre --representative \
  --contact "Hexi community office")
b_voters=()
for spec in "Tang Yu (唐宇)|worker" "Feng Xia (冯霞)|woman" "Lin Tao (林涛)|intellectual" \
  "Gao Shan (高山)|other"; do
  b_voters+=("$("$liaison" voter add "${B[@]}" --name "${spec%|*}" --category "${spec#*|}")")
done
"$liaison" link add "${B[@]}" --from "$sun_li" --to "$rep" --started-on 2026-02-01 >/dev/null
for v in "${b_voters[@]}"; do
  "$liaison" link add "${B[@]}" --from "$rep" --to "$v" --started-on 2026-02-03 >/dev/null
done
"$liaison" activity add "${B[@]}" --kind observation --held-on 2026-04-10 \
  --title "Observation of the Hexi elderly canteen (老年食堂观摩)" --attendee "$sun_li" >/dev/null
"$liaison" report add "${B[@]}" --deputy "$sun_li" --reported-on 2026-04-12 \
  --topic "Canteen prices for residents over 80" --status in_progress >/dev/null
step "recorded 1 voter representative, 4 voters, 5 links, 1 activity, 1 report"

# ------------------------------------------------------------ the November evaluation
section "November evaluation: the city scores Qingshan Town at the hub"
show score add "${C[@]}" --office town-a --criterion "$crit_a1" --assessment city --points 17 \
  --assessor "Standing Committee inspection team" --note "Q3 meeting log lacks attendance"
show score add "${C[@]}" --office town-a --criterion "$crit_a2" --assessment city --points 16 \
  --assessor "Standing Committee inspection team"
show score add "${C[@]}" --office town-a --criterion "$crit_a3" --assessment city --points 18 \
  --assessor "Standing Committee inspection team"
step "a score above the criterion's maximum is refused:"
printf '$ liaison score add --db city.db --office sub-b --criterion A1 ... --points 25\n'
"$liaison" score add "${C[@]}" --office sub-b --criterion "$crit_a1" --assessment city \
  --points 25 --assessor "Standing Committee inspection team" || true

# ------------------------------------------------- the municipal group works offline too
section "Municipal Departments Group (muni-1): one activity, offline"
"$liaison" activity add --db muni-1.db --kind research --held-on 2026-09-15 \
  --title "Survey of the industrial park's waste water (园区污水调研)" \
  --attendee "$zhou_jun" >/dev/null
step "recorded 1 activity"

# ------------------------------------------------------------------ records flow up
section "Second nightly sync: records flow up, the city's scores flow down"
for office in town-a sub-b muni-1; do sync_office "$office"; done

# ------------------------------------------------------------------------ a conflict
section "Offline edits that collide: the office and the city office edit one activity"
road=$("$liaison" activity list --db city.db --json | grep -o '"id":"[0-9a-f]*","owner":"town-a","kind":"research"' |
  sed 's/"id":"\([0-9a-f]*\)".*/\1/')
show activity edit --db city.db --id "$road" \
  --summary "Walked 6 km with 12 villagers; three sections need repair before the rains."
sleep 0.01  # the town's edit comes a moment later, offline
show activity edit --db town-a.db --id "$road" \
  --summary "Walked 6 km with 12 villagers; sections 2, 5 and 7 need repair (report filed)."
step "and a clerk at Qingshan, with the sqlite3 shell, raises a criterion of the city's:"
printf '$ sqlite3 town-a.db "UPDATE criteria SET max_points = 40 WHERE code = '"'"'A2'"'"'"\n\n'
sqlite3 town-a.db "UPDATE criteria SET max_points = 40 WHERE code = 'A2'"

section "Third nightly sync: the conflict is merged, the criterion edit is quarantined"
sync_office town-a || true
step "the later edit wins; the city office's wording is kept in the conflict journal:"
show conflicts --db city.db
step "the change to the city's criterion was kept aside, whole, with its reason:"
show hub quarantine --db city.db
step "town-a's copy of the criterion now differs from the master copy: re-seed it"
sync_office town-a --reseed
for office in sub-b muni-1; do sync_office "$office"; done

# ------------------------------------------------------------------------- showing it
section "What the master copy (city.db) holds"
for cmd in office deputy group member voter link activity report commitment criterion \
  score case; do
  printf -- '-- %s list\n' "$cmd"
  "$liaison" "$cmd" list --db city.db
  echo
done

section "Scope: each office holds its own voters and the city's reference data, no more"
for db in city.db town-a.db sub-b.db muni-1.db; do
  printf '%-10s voters %2s  criteria %s  city scores %s\n' "$db" \
    "$(sqlite3 "$db" 'SELECT count(*) FROM voters')" \
    "$(sqlite3 "$db" 'SELECT count(*) FROM criteria')" \
    "$(sqlite3 "$db" "SELECT count(*) FROM scores WHERE assessment = 'city'")"
done

section "A listing as JSON (liaison voter list --db sub-b.db --representative --json)"
"$liaison" voter list --db sub-b.db --representative --json

section "Hub status (liaison hub status): last sync and last equal digest of each office"
"$liaison" hub status --db city.db

section "Retention: cleaning what every office has acknowledged (liaison hub compact)"
show hub compact --db city.db
step "the master log and its audit chain keep everything; an office cleans its own logs"
step "as far as the horizon at its next sync:"
sync_office sub-b

section "Stopping the hub (SIGTERM): it drains and logs one line per sync"
kill -TERM "$hub_pid"
wait "$hub_pid"
trap - EXIT
cat hub.log

section "No network at the Municipal Departments Group tonight: a signed bundle"
"$liaison" activity add --db muni-1.db --kind research --held-on 2026-11-20 \
  --title "Hearing on the bus interchange's night services (公交夜班听证)" \
  --attendee "$zhou_jun" >/dev/null
step "recorded 1 activity; the clerk carries it to the city office on a USB stick, signed:"
printf '$ liaison export --db muni-1.db --out muni-1.bundle --since "$(liaison vector --db city.db)" --cert pki/offices/muni-1.crt --key pki/offices/muni-1.key\n'
"$liaison" export --db muni-1.db --out muni-1.bundle --since "$("$liaison" vector --db city.db)" \
  --cert pki/offices/muni-1.crt --key pki/offices/muni-1.key
echo
step "the city office imports it, checking the signer against its CA:"
show import --db city.db muni-1.bundle --pki pki

section "The auditor's view: the hub's hash-chained log"
show audit verify city.db
step "the chain, the hub's signed checkpoints and the CA certificate, in one file to take away:"
show audit export --db city.db --out city.log --ca pki/ca.crt
show audit verify city.log
step "every change of the road survey, with its office and the values before and after:"
show audit history city.log activities "$road"
step "the master copy rebuilt from the exported log, as of now, has the master copy's digest:"
show audit replay city.log --until "$(date -u +%Y-%m-%dT%H:%M:%S.999Z)" --out replayed.db
printf 'replayed.db %s\ncity.db     %s\n' "$("$liaison" digest --db replayed.db)" \
  "$("$liaison" digest --db city.db)"
step "someone edits a voter's name in a copy of the log; verify names the entry:"
cp city.db tampered.db
sqlite3 tampered.db "UPDATE _sync_received SET vals = replace(vals, '\"name\":\"', '\"name\":\"X') WHERE tbl = 'voters' AND pos = (SELECT min(pos) FROM _sync_received WHERE tbl = 'voters')"
show audit verify tampered.db || true
step "the hub's operators make the same edit, rebuild the whole chain over it and serve it:"
cp city.db forged.db
sqlite3 forged.db "UPDATE _sync_received SET vals = replace(vals, '\"name\":\"', '\"name\":\"X') WHERE tbl = 'voters' AND pos = (SELECT min(pos) FROM _sync_received WHERE tbl = 'voters'); DELETE FROM _sync_audit; DELETE FROM _sync_checkpoints"
start_hub forged.db forged
step "the rebuilt chain holds together, but Qingshan Town signed what it pushed:"
show audit verify forged.db || true
step "and Qingshan Town kept the hub's signed checkpoint: its next sync refuses the forged hub"
sync_office town-a || true
step "an auditor holds what Qingshan Town kept against the forged chain:"
show audit witness forged.db --office town-a.db || true
kill -TERM "$hub_pid"
wait "$hub_pid" || true
trap - EXIT
printf '\nThe replicas, certificates and hub log are in %s/.\n' "$PWD"
