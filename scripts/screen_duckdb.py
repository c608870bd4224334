#!/usr/bin/env python3
"""Screening (筛查预警) as SQL on DuckDB: the baseline the Rust engine is benchmarked against.

Loads the CSV files written by `fangpin generate` (households.csv, members.csv, incomes.csv
and the eight department feeds) into in-memory DuckDB tables, then runs every rule of
crates/domain/src/screening/rules.rs (`screen()`) as ONE SQL statement producing the
(户编号, rule id) pairs where a rule fires. Thresholds, the window and the monitoring lines
are read from the policy file (docs/policy.toml) — the same file the Rust engine reads.

    bench-out/venv/bin/python scripts/screen_duckdb.py --data DIR --as-of 2025-12-31 \
        --policy docs/policy.toml [--pairs OUT.csv] [--threads N]

Prints one JSON object: load and query times (the query is run twice, the second warm; CPU
seconds beside wall seconds), households flagged, pairs, pairs by rule, rows and seconds per
loaded table, DuckDB version, threads, peak RSS. Python deps: scripts/requirements-bench.txt.

The definitive semantics are the Rust code; where SQL could say it differently, the SQL
below follows the Rust code and says so in a comment:

* Money is integer fen throughout (DECIMAL(18,2) yuan from the file × 100 → BIGINT), as
  `Money` is; per-capita figures are rounded half away from zero (`Money::per_capita`);
  percent tests are integer cross-multiplications, threshold divisions truncate like i64 `/`.
* Monitoring line: per income year, the latest policy year ≤ that year, and within it the most
  specific scope containing the village (`resolve()` in policy.rs). Rural disposable income:
  the same for as_of.year − 1. Scopes are matched by division-code prefix ("52" contains
  every village whose 12-digit code starts with 52), as `RegionCode::contains` does.
* Window = (as_of − window_months calendar months, as_of], the start clamped to the month's
  last day like chrono's `checked_sub_months` (2025-03-31 − 1 month = 2025-02-28).
* Feed rows are matched to members by 证件号码; rows of IDs not in members.csv drop out in
  the join. Events dated after as_of are ignored; deaths count at any date ≤ as_of for
  "who is dead", every other event (and deaths for death_lack_labor's trigger) only inside
  the window.
* Duplicate feed records (same natural key, `FeedEvent::key`) are removed while loading,
  keeping the first row of the file (see `dedup` below).
* Cells are taken as the generator writes them: ID numbers and labels are compared as
  written, without the width folding and alias handling of the Rust parser beyond the
  aliases listed below; files are UTF-8 (with or without BOM), not GB18030.
* The pairs were checked equal, pair for pair, to `domain::screening::screen()` run over the
  same files (generated data, and a variant with duplicates, blank 个人自付/出生日期/学段,
  boundary incomes, scoped policy lines, several as-of dates).
"""

from __future__ import annotations

import argparse
import calendar
import csv as _csv
import datetime as dt
import json
import os
import resource
import sys
import time
import tomllib
from decimal import Decimal

import duckdb

RULES = [
    "income_low",
    "income_drop",
    "rigid_spending",
    "medical_burden",
    "severe_disability",
    "disaster",
    "assistance",
    "job_loss",
    "dropout",
    "dangerous_house",
    "death_lack_labor",
    "uninsured",
    "unsafe_housing",
    "unsafe_water",
]

# Labels of the domain enumerations (crates/domain/src/enums.rs, feed.rs) with their documented
# aliases. Only labels; the numbers the rules compare with come from the policy file.
DISABILITY_GRADE = {"一级": 1, "1级": 1, "1": 1, "二级": 2, "2级": 2, "2": 2,
                    "三级": 3, "3级": 3, "3": 3, "四级": 4, "4级": 4, "4": 4}
# HouseDamage in enum order (the rule compares `damage >= min_damage` by that order).
HOUSE_DAMAGE = {"无": 0, "一般损坏": 1, "严重损坏": 2, "倒塌": 3}
# Labor::has_capacity: 普通, 技能, 弱劳动力或半劳动力.
LABOR_WITH_CAPACITY = ["普通劳动力", "技能劳动力", "弱劳动力或半劳动力"]
# Schooling::is_compulsory: 小学 (with its per-grade aliases) and 七至九年级.
COMPULSORY_STAGES = ["小学", "小学一年级", "小学二年级", "小学三年级", "小学四年级",
                     "小学五年级", "小学六年级", "七年级", "八年级", "九年级"]
# HousingSafety::is_safe is false for 不安全 and the appraisal grades C and D.
UNSAFE_HOUSING = ["不安全", "C", "C级", "D", "D级"]
# HousingGrade::is_dangerous (住建 feed): C and D.
DANGEROUS_GRADES = ["C", "C级", "D", "D级"]


# ---------------------------------------------------------------------------------------------
# Policy
# ---------------------------------------------------------------------------------------------

def yuan_to_fen(v) -> int:
    """A policy amount (int, float or string yuan) in fen, as `Yuan` deserialises it."""
    if isinstance(v, bool):
        raise ValueError(f"amount {v!r} is not a number")
    if isinstance(v, int):
        return v * 100
    if isinstance(v, float):
        return int(round(v * 100))
    d = Decimal(str(v).replace(",", "").strip().removesuffix("元")) * 100
    if d != d.to_integral_value():
        raise ValueError(f"amount {v!r} has more than two decimals")
    return int(d)


def scope_prefix(scope: str) -> tuple[str, int]:
    """(division-code prefix, specificity) of a scope: ("", 0) for 全国, ("52", 1) for a
    province, ("5203", 2) for a city, ("520322", 3) for a county (`Scope` in policy.rs)."""
    s = scope.strip()
    if s == "全国" or s.lower() == "national":
        return "", 0
    pad = {2: 10, 4: 8, 6: 6}.get(len(s))
    if pad is None or not s.isdigit():
        raise ValueError(f"scope {scope!r} is not 全国 or a 2-, 4- or 6-digit division code")
    code = int(s) * 10**pad
    if code % 10**10 == 0:
        return f"{code:012d}"[:2], 1
    if code % 10**8 == 0:
        return f"{code:012d}"[:4], 2
    return f"{code:012d}"[:6], 3


def rule_settings(policy: dict, rule: str, *keys: str) -> dict:
    """A rule's table; `enabled` defaults to true as in the Rust `Default`s. Thresholds must be
    in the file: this script never substitutes a number of its own."""
    table = policy.get("rules", {}).get(rule, {})
    out = {"enabled": bool(table.get("enabled", True))}
    for k in keys:
        if k not in table:
            sys.exit(f"policy: rules.{rule}.{k} is missing (this script takes every threshold "
                     "from the policy file)")
        out[k] = table[k]
    return out


def load_policy(path: str) -> dict:
    with open(path, "rb") as f:
        p = tomllib.load(f)
    if "window_months" not in p:
        sys.exit("policy: window_months is missing")

    def amounts(key):
        return [(*scope_prefix(e["scope"]), int(e["year"]), yuan_to_fen(e["amount"]))
                for e in p.get(key, [])]

    r = {
        "income_low": rule_settings(p, "income_low"),
        "income_drop": rule_settings(p, "income_drop", "min_drop_percent"),
        "rigid_spending": rule_settings(p, "rigid_spending", "share_of_net_percent"),
        "medical_burden": rule_settings(p, "medical_burden", "ex_poor_percent", "other_percent"),
        "severe_disability": rule_settings(p, "severe_disability", "grades_up_to"),
        "disaster": rule_settings(p, "disaster", "min_loss", "min_damage"),
        "assistance": rule_settings(p, "assistance", "temporary_min_amount"),
        "job_loss": rule_settings(p, "job_loss", "min_wage_share_percent"),
        "dropout": rule_settings(p, "dropout", "compulsory_age_from", "compulsory_age_to"),
    }
    for rule in ("dangerous_house", "death_lack_labor"):
        r[rule] = rule_settings(p, rule)
    for rule in ("uninsured", "unsafe_housing", "unsafe_water"):
        r[rule] = rule_settings(p, rule, "max_income_percent_of_line")
    r["severe_disability"]["grade_code"] = DISABILITY_GRADE[r["severe_disability"]["grades_up_to"]]
    r["disaster"]["min_loss_fen"] = yuan_to_fen(r["disaster"]["min_loss"])
    r["disaster"]["min_damage_code"] = HOUSE_DAMAGE[r["disaster"]["min_damage"]]
    r["assistance"]["min_fen"] = yuan_to_fen(r["assistance"]["temporary_min_amount"])
    return {
        "window_months": int(p["window_months"]),
        # Quoted in the file ("2021-01-01"), so a string to tomllib; a bare TOML date also works.
        "effective_from": dt.date.fromisoformat(str(p["effective_from"]))
        if "effective_from" in p else None,
        "lines": amounts("monitoring_lines"),
        "rural_income": amounts("rural_income"),
        "rules": r,
    }


def sub_months(d: dt.date, months: int) -> dt.date:
    """chrono's `checked_sub_months`: the same day `months` earlier, clamped to month end."""
    m = d.year * 12 + (d.month - 1) - months
    y, mo = divmod(m, 12)
    mo += 1
    return dt.date(y, mo, min(d.day, calendar.monthrange(y, mo)[1]))


# ---------------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------------

def csv(data: str, name: str, types: dict[str, str]) -> str:
    """read_csv of one generated file with every column typed: those in `types` as given,
    the others (names, addresses, columns no rule reads) VARCHAR. The header row is read
    here so that nothing is left to DuckDB's type sniffing (which, over a whole file, costs
    as much as the load itself; over a sample it could guess wrong). Column order is free,
    as in the templates."""
    path = os.path.join(data, f"{name}.csv")
    with open(path, encoding="utf-8-sig", newline="") as f:
        headers = next(_csv.reader(f))
    t = ", ".join(f"'{h}': '{types.get(h, 'VARCHAR')}'" for h in headers)
    path = path.replace("'", "''")
    return f"read_csv('{path}', header = true, auto_detect = true, types = {{{t}}})"


def fen(col: str) -> str:
    """Yuan with up to two decimals (read as DECIMAL(18,2), exact) as BIGINT fen."""
    return f'CAST("{col}" * 100 AS BIGINT)'


def flag(col: str) -> str:
    """是/否, Y/N, yes/no, 1/0, true/false as BOOLEAN; blank is NULL (parse_flag)."""
    return (f"CASE lower(trim(\"{col}\")) WHEN '是' THEN true WHEN 'y' THEN true "
            f"WHEN 'yes' THEN true WHEN '1' THEN true WHEN 'true' THEN true "
            f"WHEN '否' THEN false WHEN 'n' THEN false WHEN 'no' THEN false "
            f"WHEN '0' THEN false WHEN 'false' THEN false END")


def dedup(con, table: str, source_sql: str, key: list[str]) -> None:
    """Creates `table` from `source_sql` without duplicate records by the feed's natural key
    (`FeedEvent::key`: member + feed + date + per-feed key fields; the member is named here by
    its 证件号码, which maps one-to-one to a member). The first row of the file wins, as in
    service/src/feeds.rs (`matched.retain(|(_, e)| seen.insert(e.key()))`): rows are
    inserted in file order (preserve_insertion_order), so the smallest rowid of a key is its
    first row. NULL key fields (a blank 就诊类型) group together, as `visit.map_or(0, …)`
    does. The key is compared exactly, not through a 64-bit hash as in Rust (a collision
    there is a ~1e-6 event at 1e7 records)."""
    con.execute(f"CREATE TABLE {table} AS {source_sql}")
    cols = ", ".join(key)
    con.execute(f"DELETE FROM {table} WHERE rowid NOT IN "
                f"(SELECT min(rowid) FROM {table} GROUP BY {cols})")


def load(con, data: str) -> dict[str, float]:
    """Loads every file; returns the seconds each table took."""
    D, V, M = "DATE", "VARCHAR", "DECIMAL(18,2)"
    seconds: dict[str, float] = {}
    started = [time.perf_counter()]

    def done(table: str) -> None:
        now = time.perf_counter()
        seconds[table] = round(now - started[0], 4)
        started[0] = now

    con.execute(f"""
        CREATE TABLE households AS SELECT
            "户编号" AS household_no, "村代码" AS village_code, "户类型" AS household_type,
            "住房安全" AS housing_safety, "饮水安全" AS water_safety
        FROM {csv(data, 'households', {'户编号': V, '村代码': V, '户类型': V,
                                       '住房安全': V, '饮水安全': V, '脱贫年度': V,
                                       '联系电话': V, '住址': V})}""")
    done("households")
    # 出生日期 may be blank: the member's birth date is then the one in the ID number, which is
    # what MemberFacts.birth_date holds.
    con.execute(f"""
        CREATE TABLE members AS SELECT
            "户编号" AS household_no, "证件号码" AS id_number, "劳动技能" AS labor,
            coalesce("出生日期", CAST(strptime(substr("证件号码", 7, 8), '%Y%m%d') AS DATE))
                AS birth_date,
            {flag('参加城乡居民医保')} AS medical_insured
        FROM {csv(data, 'members', {'户编号': V, '证件号码': V, '劳动技能': V, '出生日期': D,
                                    '参加城乡居民医保': V, '姓名': V, '务工月数': V})}""")
    done("members")
    con.execute(f"""
        CREATE TABLE incomes AS SELECT
            "户编号" AS household_no, CAST("年度" AS INTEGER) AS year,
            {fen('工资性收入')} AS wage, {fen('生产经营性收入')} AS business_income,
            {fen('生产经营性支出')} AS business_cost, {fen('财产性收入')} AS property,
            {fen('转移性收入')} AS transfer,
            coalesce({fen('教育支出')}, 0) AS education_cost,
            coalesce({fen('其他刚性支出')}, 0) AS other_rigid_cost
        FROM {csv(data, 'incomes', {'户编号': V, '年度': 'INTEGER', '工资性收入': M,
                                    '生产经营性收入': M, '生产经营性支出': M, '财产性收入': M,
                                    '转移性收入': M, '合规自付医疗支出': M, '教育支出': M,
                                    '其他刚性支出': M})}""")
    done("incomes")
    # 医保结算: 个人自付 when blank is total − (基本医保 + 大病保险 + 医疗救助), a blank payment 0
    # (parse.rs, DetailSlots::Medical).
    dedup(con, "medical", f"""
        SELECT "证件号码" AS id_number, "结算日期" AS date, {fen('医疗总费用')} AS total,
            coalesce({fen('个人自付')},
                     {fen('医疗总费用')} - coalesce({fen('基本医保支付')}, 0)
                     - coalesce({fen('大病保险支付')}, 0) - coalesce({fen('医疗救助支付')}, 0))
                AS out_of_pocket,
            "就诊类型" AS visit_type
        FROM {csv(data, 'medical', {'证件号码': V, '姓名': V, '结算日期': D, '医疗总费用': M,
                                    '基本医保支付': M, '大病保险支付': M, '医疗救助支付': M,
                                    '个人自付': M, '就诊类型': V})}""",
          ["id_number", "date", "total", "visit_type"])
    done("medical")
    dedup(con, "disability", f"""
        SELECT "证件号码" AS id_number, "发证日期" AS date, "残疾等级" AS grade
        FROM {csv(data, 'disability', {'证件号码': V, '姓名': V, '残疾类别': V,
                                       '残疾等级': V, '发证日期': D})}""",
          ["id_number", "date"])
    done("disability")
    dedup(con, "disaster", f"""
        SELECT "证件号码" AS id_number, "受灾日期" AS date, "灾害类型" AS kind,
            {fen('直接经济损失')} AS loss, "房屋受损" AS damage
        FROM {csv(data, 'disaster', {'证件号码': V, '姓名': V, '灾害类型': V, '受灾日期': D,
                                     '直接经济损失': M, '房屋受损': V})}""",
          ["id_number", "date", "kind"])
    done("disaster")
    dedup(con, "assistance", f"""
        SELECT "证件号码" AS id_number, "日期" AS date, "救助类型" AS kind,
            "变动类型" AS change, {fen('金额')} AS amount
        FROM {csv(data, 'assistance', {'证件号码': V, '姓名': V, '救助类型': V,
                                       '变动类型': V, '日期': D, '金额': M})}""",
          ["id_number", "date", "kind", "change"])
    done("assistance")
    dedup(con, "employment", f"""
        SELECT "证件号码" AS id_number, "日期" AS date, "事件" AS event
        FROM {csv(data, 'employment', {'证件号码': V, '姓名': V, '事件': V, '日期': D})}""",
          ["id_number", "date", "event"])
    done("employment")
    dedup(con, "schooling", f"""
        SELECT "证件号码" AS id_number, "日期" AS date, "事件" AS event, "学段" AS stage
        FROM {csv(data, 'schooling', {'证件号码': V, '姓名': V, '事件': V, '学段': V,
                                      '日期': D})}""",
          ["id_number", "date", "event"])
    done("schooling")
    dedup(con, "housing", f"""
        SELECT "证件号码" AS id_number, "鉴定日期" AS date, "鉴定等级" AS grade
        FROM {csv(data, 'housing', {'证件号码': V, '姓名': V, '鉴定等级': V, '鉴定日期': D})}""",
          ["id_number", "date"])
    done("housing")
    dedup(con, "death", f"""
        SELECT "证件号码" AS id_number, "死亡日期" AS date
        FROM {csv(data, 'death', {'证件号码': V, '姓名': V, '死亡日期': D})}""",
          ["id_number", "date"])
    done("death")
    return seconds


# ---------------------------------------------------------------------------------------------
# The query
# ---------------------------------------------------------------------------------------------

def sql_list(values) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def amounts_cte(name: str, rows) -> str:
    if not rows:
        return (f"{name} AS (SELECT NULL::VARCHAR AS prefix, NULL::INTEGER AS spec, "
                f"NULL::INTEGER AS year, NULL::BIGINT AS amount WHERE false)")
    vals = ", ".join(f"('{p}', {s}, {y}, {a})" for p, s, y, a in rows)
    return f"{name}(prefix, spec, year, amount) AS (VALUES {vals})"


def per_capita(x: str, n: str) -> str:
    """`Money::per_capita`: x / n rounded half away from zero, in integers (n > 0)."""
    return f"(sign({x}) * ((abs({x}) * 2 + {n}) // (2 * {n})))"


def screening_sql(pol: dict, as_of: dt.date) -> str:
    r = pol["rules"]
    ws = sub_months(as_of, pol["window_months"])  # exclusive window start
    a, w = f"DATE '{as_of}'", f"DATE '{ws}'"
    in_window = lambda col: f"({col} > {w} AND {col} <= {a})"  # noqa: E731
    on = lambda rule: "true" if r[rule]["enabled"] else "false"  # noqa: E731
    # A registry gap counts where the latest per-capita net is at most pct % of the line.
    near_line = lambda rule: (  # noqa: E731
        f"(inc.n > 0 AND inc.line IS NOT NULL AND "
        f"{per_capita('inc.net', 'inc.n')} * 100 <= inc.line * "
        f"{int(r[rule]['max_income_percent_of_line'])})")
    grade = " ".join(f"WHEN '{k}' THEN {v}" for k, v in DISABILITY_GRADE.items())
    damage = " ".join(f"WHEN '{k}' THEN {v}" for k, v in HOUSE_DAMAGE.items())
    ex = r["medical_burden"]
    return f"""
WITH
{amounts_cte('lines', pol['lines'])},
{amounts_cte('rural', pol['rural_income'])},
-- Household size: every member row of the household, the deceased included.
size AS (SELECT household_no, count(*) AS n FROM members GROUP BY household_no),
-- Feed rows resolved to registry members; IDs not in members.csv drop out in the join.
-- Events after as_of are ignored by every rule.
med AS (
    SELECT m.household_no, sum(f.out_of_pocket) AS oop, count(*) AS cnt
    FROM medical f JOIN members m ON m.id_number = f.id_number
    WHERE {in_window('f.date')}
    GROUP BY m.household_no),
-- disaster_loss sums every disaster record of the window (a blank loss is 0), not only
-- the severe ones; the rule fires on any record with loss ≥ min_loss or damage ≥ min_damage.
dis AS (
    SELECT m.household_no, sum(coalesce(f.loss, 0)) AS loss,
        bool_or(coalesce(f.loss, 0) >= {r['disaster']['min_loss_fen']}
                OR coalesce(CASE f.damage {damage} END >= {r['disaster']['min_damage_code']},
                            false)) AS severe
    FROM disaster f JOIN members m ON m.id_number = f.id_number
    WHERE {in_window('f.date')}
    GROUP BY m.household_no),
-- Who is dead: a death record at any date up to as_of. (The Rust code keeps at most 8 dead
-- per household in a fixed array; no household comes near 8 deaths, so no cap here.)
dead AS (
    SELECT DISTINCT f.id_number FROM death f JOIN members m ON m.id_number = f.id_number
    WHERE f.date <= {a}),
dead_win AS (
    SELECT DISTINCT f.id_number FROM death f JOIN members m ON m.id_number = f.id_number
    WHERE {in_window('f.date')}),
death_win AS (
    SELECT DISTINCT m.household_no
    FROM dead_win f JOIN members m ON m.id_number = f.id_number),
people AS (
    SELECT m.household_no,
        -- lost_worker: a member with labour capacity who died within the window;
        -- someone_works: a living one. uninsured: a living member with 参加城乡居民医保 = 否
        -- (blank is not "no": `medical_insured == Some(false)`).
        bool_or(m.labor IN ({sql_list(LABOR_WITH_CAPACITY)}) AND dw.id_number IS NOT NULL)
            AS lost_worker,
        bool_or(m.labor IN ({sql_list(LABOR_WITH_CAPACITY)}) AND d.id_number IS NULL)
            AS someone_works,
        bool_or(d.id_number IS NULL AND m.medical_insured IS NOT DISTINCT FROM false)
            AS uninsured
    FROM members m LEFT JOIN dead d ON d.id_number = m.id_number
    LEFT JOIN dead_win dw ON dw.id_number = m.id_number
    GROUP BY m.household_no),
-- The latest income year ≤ as_of's year.
cur AS (
    SELECT i.* FROM incomes i
    WHERE i.year <= {as_of.year}
    QUALIFY row_number() OVER (PARTITION BY i.household_no ORDER BY i.year DESC) = 1),
-- Monitoring line of (village, year): the latest policy year ≤ year, then the most
-- specific scope containing the village (resolve() in policy.rs).
line_res AS (
    SELECT k.village_code, k.year, arg_max(l.amount, l.year * 10 + l.spec) AS line
    FROM (SELECT DISTINCT h.village_code, c.year
          FROM cur c JOIN households h ON h.household_no = c.household_no) k
    JOIN lines l ON l.year <= k.year AND starts_with(k.village_code, l.prefix)
    GROUP BY k.village_code, k.year),
-- 农村居民人均可支配收入 of as_of.year − 1, same resolution.
rural_res AS (
    SELECT v.village_code, arg_max(l.amount, l.year * 10 + l.spec) AS ref
    FROM (SELECT DISTINCT village_code FROM households) v
    JOIN rural l ON l.year <= {as_of.year - 1} AND starts_with(v.village_code, l.prefix)
    GROUP BY v.village_code),
inc AS (
    SELECT c.household_no, s.n, lr.line,
        c.wage + c.business_income - c.business_cost + c.property + c.transfer AS net,
        c.wage + c.business_income + c.property + c.transfer AS gross,
        c.wage,
        p.wage + p.business_income - p.business_cost + p.property + p.transfer AS prev_net,
        coalesce(md.oop, 0) + coalesce(ds.loss, 0) + c.education_cost + c.other_rigid_cost
            AS rigid
    FROM cur c
    JOIN households h ON h.household_no = c.household_no
    LEFT JOIN size s ON s.household_no = c.household_no
    LEFT JOIN line_res lr ON lr.village_code = h.village_code AND lr.year = c.year
    LEFT JOIN incomes p ON p.household_no = c.household_no AND p.year = c.year - 1
    LEFT JOIN med md ON md.household_no = c.household_no
    LEFT JOIN dis ds ON ds.household_no = c.household_no),
pairs AS (
    -- income_low: per-capita net of the latest year at or below that year's line.
    SELECT household_no, 'income_low' AS rule FROM inc
    WHERE {on('income_low')} AND n > 0 AND line IS NOT NULL
      AND {per_capita('net', 'n')} <= line
    UNION ALL
    -- income_drop: the year immediately before; (a − b) × 100 ≥ p × a with a > 0.
    SELECT household_no, 'income_drop' FROM inc
    WHERE {on('income_drop')} AND n > 0 AND prev_net > 0
      AND (prev_net - net) * 100 >= {int(r['income_drop']['min_drop_percent'])} * prev_net
    UNION ALL
    -- rigid_spending: rigid > 0, rigid > max(net, 0) × share / 100 (truncated), and
    -- (net − rigid) per capita ≤ line.
    SELECT household_no, 'rigid_spending' FROM inc
    WHERE {on('rigid_spending')} AND n > 0 AND line IS NOT NULL AND rigid > 0
      AND rigid > greatest(net, 0) * {int(r['rigid_spending']['share_of_net_percent'])} // 100
      AND {per_capita('net - rigid', 'n')} <= line
    UNION ALL
    -- medical_burden: window out-of-pocket > reference × pct / 100 (truncated); 脱贫户 (and
    -- monitored households — none: no cases exist) use ex_poor_percent.
    SELECT md.household_no, 'medical_burden'
    FROM med md JOIN households h ON h.household_no = md.household_no
    JOIN rural_res rr ON rr.village_code = h.village_code
    WHERE {on('medical_burden')} AND md.cnt > 0
      AND md.oop > rr.ref * (CASE WHEN h.household_type = '脱贫户' OR false
                                  THEN {int(ex['ex_poor_percent'])}
                                  ELSE {int(ex['other_percent'])} END) // 100
    UNION ALL
    SELECT DISTINCT m.household_no, 'severe_disability'
    FROM disability f JOIN members m ON m.id_number = f.id_number
    WHERE {on('severe_disability')} AND {in_window('f.date')}
      AND CASE f.grade {grade} END <= {r['severe_disability']['grade_code']}
    UNION ALL
    SELECT household_no, 'disaster' FROM dis WHERE {on('disaster')} AND severe
    UNION ALL
    SELECT DISTINCT m.household_no, 'assistance'
    FROM assistance f JOIN members m ON m.id_number = f.id_number
    WHERE {on('assistance')} AND {in_window('f.date')}
      AND ((f.kind IN ('低保', '特困供养') AND f.change = '新增')
        OR (f.kind = '临时救助' AND f.change IN ('新增', '发放')
            AND f.amount >= {r['assistance']['min_fen']}))
    UNION ALL
    -- job_loss needs the latest income year but not a household size (outside the
    -- `size > 0` block in screen()).
    SELECT DISTINCT m.household_no, 'job_loss'
    FROM employment f JOIN members m ON m.id_number = f.id_number
    JOIN inc ON inc.household_no = m.household_no
    WHERE {on('job_loss')} AND {in_window('f.date')} AND f.event IN ('失业登记', '返乡')
      AND inc.gross > 0
      AND inc.wage * 100 >= {int(r['job_loss']['min_wage_share_percent'])} * inc.gross
    UNION ALL
    -- dropout: compulsory by 学段 when given, else by age (whole years) on the event day.
    SELECT DISTINCT m.household_no, 'dropout'
    FROM schooling f JOIN members m ON m.id_number = f.id_number
    WHERE {on('dropout')} AND {in_window('f.date')} AND f.event IN ('辍学', '失学')
      AND CASE WHEN f.stage IS NOT NULL THEN f.stage IN ({sql_list(COMPULSORY_STAGES)})
               ELSE greatest(year(f.date) - year(m.birth_date)
                             - CASE WHEN (month(f.date), day(f.date))
                                         < (month(m.birth_date), day(m.birth_date))
                                    THEN 1 ELSE 0 END, 0)
                    BETWEEN {int(r['dropout']['compulsory_age_from'])}
                        AND {int(r['dropout']['compulsory_age_to'])} END
    UNION ALL
    SELECT DISTINCT m.household_no, 'dangerous_house'
    FROM housing f JOIN members m ON m.id_number = f.id_number
    WHERE {on('dangerous_house')} AND {in_window('f.date')}
      AND f.grade IN ({sql_list(DANGEROUS_GRADES)})
    UNION ALL
    -- death_lack_labor: a member with labour capacity died within the window and no living
    -- member has capacity.
    SELECT dw.household_no, 'death_lack_labor'
    FROM death_win dw JOIN people p ON p.household_no = dw.household_no
    WHERE {on('death_lack_labor')} AND p.lost_worker AND NOT p.someone_works
    UNION ALL
    -- Registry gaps count only where per-capita net ≤ line × pct / 100 (income known).
    SELECT p.household_no, 'uninsured' FROM people p JOIN inc ON inc.household_no = p.household_no
    WHERE {on('uninsured')} AND p.uninsured AND {near_line('uninsured')}
    UNION ALL
    SELECT h.household_no, 'unsafe_housing' FROM households h JOIN inc ON inc.household_no = h.household_no
    WHERE {on('unsafe_housing')} AND h.housing_safety IN ({sql_list(UNSAFE_HOUSING)})
      AND {near_line('unsafe_housing')}
    UNION ALL
    SELECT h.household_no, 'unsafe_water' FROM households h JOIN inc ON inc.household_no = h.household_no
    WHERE {on('unsafe_water')} AND h.water_safety = '不安全' AND {near_line('unsafe_water')})
-- Only households of the registry (members and incomes of others are rejected by the
-- import, so this changes nothing on valid data).
SELECT p.household_no, p.rule FROM pairs p
WHERE p.household_no IN (SELECT household_no FROM households)
"""


# ---------------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="folder written by `fangpin generate`")
    ap.add_argument("--as-of", required=True, type=dt.date.fromisoformat)
    ap.add_argument("--policy", required=True, help="policy TOML, e.g. docs/policy.toml")
    ap.add_argument("--pairs", help="write the (household_no, rule) pairs here, sorted")
    ap.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    ap.add_argument("--show-sql", action="store_true", help="print the query and exit")
    args = ap.parse_args()

    pol = load_policy(args.policy)
    sql = screening_sql(pol, args.as_of)
    if args.show_sql:
        print(sql)
        return
    if pol["effective_from"] and args.as_of < pol["effective_from"]:
        print(f"warning: as-of {args.as_of} is before the policy's effective_from "
              f"{pol['effective_from']}", file=sys.stderr)

    con = duckdb.connect(":memory:")
    if args.threads:
        con.execute(f"SET threads = {int(args.threads)}")
    con.execute("SET preserve_insertion_order = true")  # rowid = file order, for dedup
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]

    t0 = time.perf_counter()
    load_by_table = load(con, args.data)
    load_seconds = time.perf_counter() - t0
    rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in load_by_table}

    # The whole screening, materialised; cold, then warm. CPU seconds (all threads of the
    # process) beside wall seconds, to read timings taken on a busy machine.
    times, cpu = [], []
    for _ in range(2):
        t0, c0 = time.perf_counter(), time.process_time()
        con.execute(f"CREATE OR REPLACE TEMP TABLE result AS {sql}")
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)

    by_rule = dict.fromkeys(RULES, 0)
    by_rule.update(con.execute(
        "SELECT rule, count(*) FROM result GROUP BY rule").fetchall())
    pairs, flagged = con.execute(
        "SELECT count(*), count(DISTINCT household_no) FROM result").fetchone()
    if args.pairs:
        out = args.pairs.replace("'", "''")
        con.execute(f"COPY (SELECT household_no, rule FROM result ORDER BY household_no, rule) "
                    f"TO '{out}' (HEADER, DELIMITER ',')")

    print(json.dumps({
        "load_seconds": round(load_seconds, 4),
        "query_seconds": round(times[0], 4),
        "query_seconds_warm": round(times[1], 4),
        "query_cpu_seconds": round(cpu[0], 4),
        "query_cpu_seconds_warm": round(cpu[1], 4),
        "households_flagged": flagged,
        "pairs": pairs,
        "by_rule": by_rule,
        "rows_loaded": rows,
        "load_seconds_by_table": load_by_table,
        "duckdb_version": duckdb.__version__,
        "threads": threads,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
