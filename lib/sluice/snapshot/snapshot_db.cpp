// The snapshot database (see snapshot_db.hpp).
#include "sluice/snapshot/snapshot_db.hpp"

#include "sluice/error.hpp"
#include "sluice/journal/crc32c.hpp"
#include "sluice/journal/little_endian.hpp"
#include "sluice/journal/record_codec.hpp"

#include <sqlite3.h>

#include <array>
#include <chrono>

namespace sluice::snapshot {

namespace {

using journal::durable_message;
using journal::message_place;

constexpr const char* schema = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  queue TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('ready', 'scheduled', 'in_flight', 'dead')),
  type TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  due_ns INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  lsn INTEGER NOT NULL,
  correlation_id TEXT NOT NULL,
  dedup_key TEXT NOT NULL,
  ordering_key TEXT NOT NULL,
  enqueued_at_ns INTEGER NOT NULL,
  error TEXT,
  body BLOB NOT NULL,
  letter BLOB,
  crc INTEGER NOT NULL
);
CREATE VIEW dead_letters AS
  SELECT id, queue, type, attempt, error, correlation_id,
         datetime(enqueued_at_ns / 1000000000, 'unixepoch') AS enqueued_at
  FROM messages WHERE state = 'dead';
CREATE VIEW dedup_keys AS
  SELECT queue, dedup_key, id, state FROM messages WHERE dedup_key <> '';
)sql";

const char* state_name(message_place p) {
  switch (p) {
    case message_place::ready:
      return "ready";
    case message_place::scheduled:
      return "scheduled";
    case message_place::in_flight:
      return "in_flight";
    case message_place::dead:
      return "dead";
  }
  return "ready";
}

std::optional<message_place> parse_state(std::string_view s) {
  if (s == "ready") return message_place::ready;
  if (s == "scheduled") return message_place::scheduled;
  if (s == "in_flight") return message_place::in_flight;
  if (s == "dead") return message_place::dead;
  return std::nullopt;
}

std::int64_t nanos(sys_time t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
sys_time from_nanos(std::int64_t n) {
  return sys_time(std::chrono::duration_cast<sys_time::duration>(std::chrono::nanoseconds(n)));
}

// The row's CRC: its authoritative columns, in a fixed order.
std::uint32_t row_crc(std::string_view body, std::string_view letter, message_place place, std::int64_t due,
                      std::int64_t seq, std::int64_t lsn) {
  std::array<char, 25> tail{};  // on the stack: a string of 25 bytes allocated for every row
  tail[0] = static_cast<char>(place);
  journal::le::store64(tail.data() + 1, static_cast<std::uint64_t>(due));
  journal::le::store64(tail.data() + 9, static_cast<std::uint64_t>(seq));
  journal::le::store64(tail.data() + 17, static_cast<std::uint64_t>(lsn));
  std::uint32_t crc = crc32c::extend(0, body.data(), body.size());
  crc = crc32c::extend(crc, letter.data(), letter.size());
  return crc32c::extend(crc, tail.data(), tail.size());
}

std::string hex(const journal::instance_id& id) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto b : id) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

std::string_view column_text(sqlite3_stmt* s, int i) {
  const auto* p = sqlite3_column_text(s, i);
  return p == nullptr
             ? std::string_view{}
             : std::string_view(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
}
std::string_view column_blob(sqlite3_stmt* s, int i) {
  const auto* p = sqlite3_column_blob(s, i);
  return p == nullptr
             ? std::string_view{}
             : std::string_view(static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
}

// Decodes one row of `SELECT id, state, due_ns, seq, lsn, body, letter, crc` into `out`; a
// detail names what failed.
bool decode_row(sqlite3_stmt* s, durable_message& out, std::string& detail) {
  const auto id_text = column_text(s, 0);
  const auto state = parse_state(column_text(s, 1));
  const std::int64_t due = sqlite3_column_int64(s, 2);
  const std::int64_t seq = sqlite3_column_int64(s, 3);
  const std::int64_t lsn = sqlite3_column_int64(s, 4);
  const auto body = column_blob(s, 5);
  const auto letter = column_blob(s, 6);
  const auto crc = static_cast<std::uint32_t>(sqlite3_column_int64(s, 7));
  if (!state || row_crc(body, letter, *state, due, seq, lsn) != crc) {
    detail = "row " + std::string(id_text) + " fails its CRC";
    return false;
  }
  auto e = journal::decode_event(journal::record_type::enqueue, body);
  auto* enq = e ? std::get_if<journal::enqueue_event>(&*e) : nullptr;
  const auto id_chars = enq != nullptr ? enq->m.id.to_chars() : std::array<char, 26>{};
  if (enq == nullptr || std::string_view(id_chars.data(), id_chars.size()) != id_text) {
    detail = "row " + std::string(id_text) + " has an undecodable message";
    return false;
  }
  out = durable_message{};
  out.queue = std::move(enq->queue);
  *out.m = std::move(enq->m);
  out.place = *state;
  out.due = from_nanos(due);
  out.order = static_cast<std::uint64_t>(seq);
  out.last_lsn = static_cast<std::uint64_t>(lsn);
  if (*state == message_place::dead) {
    auto l = journal::decode_event(journal::record_type::dead_letter, letter);
    auto* dl = l ? std::get_if<journal::dead_letter_event>(&*l) : nullptr;
    if (dl == nullptr) {
      detail = "row " + std::string(id_text) + " has an undecodable dead letter";
      return false;
    }
    out.letter = std::make_unique<dead_letter>();
    out.letter->queue = out.queue;
    out.letter->reason = dl->reason;
    out.letter->cause = std::move(dl->cause);
    out.letter->first_failure_at = dl->first_failure_at;
    out.letter->last_failure_at = dl->last_failure_at;
    out.letter->dead_lettered_at = dl->dead_lettered_at;
  }
  return true;
}

// Runs one statement to completion, ignoring rows.
int exec(sqlite3* db, const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }

struct statement {
  sqlite3_stmt* s = nullptr;
  ~statement() { sqlite3_finalize(s); }
};

}  // namespace

error_code snapshot_db::check(int rc, const char* what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return {};
  (void)what;
  const int primary = rc & 0xff;
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB || primary == SQLITE_FORMAT) {
    return make_error_code(errc::snapshot_corrupt);
  }
  if (primary == SQLITE_FULL) return make_error_code(errc::disk_full);
  if (vfs_ != nullptr) {
    if (auto io = vfs_->last_error(); io == boost::system::errc::no_space_on_device) {
      return make_error_code(errc::disk_full);
    }
  }
  return make_error_code(errc::io_error);
}

std::string snapshot_db::last_error() const { return db_ == nullptr ? "no database" : sqlite3_errmsg(db_); }

boost::system::result<std::unique_ptr<snapshot_db>> snapshot_db::open(sqlite_vfs& vfs, const std::string& path,
                                                                      const journal::instance_id& instance,
                                                                      const db_options& options, std::string& detail) {
  std::unique_ptr<snapshot_db> self(new snapshot_db());
  self->vfs_ = &vfs;
  self->path_ = path;
  auto fail = [&](int rc, const std::string& what) -> error_code {
    detail = "snapshot " + path + ": " + what + ": " + self->last_error();
    return self->check(rc, what.c_str());
  };
  int rc = sqlite3_open_v2(path.c_str(), &self->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           vfs.name());
  if (rc != SQLITE_OK) return fail(rc, "cannot open");
  sqlite3_extended_result_codes(self->db_, 1);
  // Exclusive locking before WAL: SQLite keeps the WAL index in heap memory (no -shm file).
  rc = exec(self->db_,
            "PRAGMA locking_mode=EXCLUSIVE; PRAGMA temp_store=MEMORY; PRAGMA cell_size_check=ON;"
            "PRAGMA journal_size_limit=67108864; PRAGMA cache_size=-16384;");
  if (rc != SQLITE_OK) return fail(rc, "cannot configure");
  rc = exec(self->db_, options.full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  if (rc != SQLITE_OK) return fail(rc, "cannot configure");
  {
    statement wal;
    rc = sqlite3_prepare_v2(self->db_, "PRAGMA journal_mode=WAL", -1, &wal.s, nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_step(wal.s);
    if (rc != SQLITE_ROW) return fail(rc, "cannot enter WAL mode");
    if (column_text(wal.s, 0) != "wal") {
      detail = "snapshot " + path + ": journal_mode is " + std::string(column_text(wal.s, 0)) + ", not wal";
      return make_error_code(errc::io_error);
    }
  }
  bool has_schema = false;
  {
    statement q;
    rc = sqlite3_prepare_v2(self->db_, "SELECT count(*) FROM sqlite_master WHERE name = 'meta'", -1, &q.s, nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_step(q.s);
    if (rc != SQLITE_ROW) return fail(rc, "cannot read the schema");
    has_schema = sqlite3_column_int(q.s, 0) == 1;
  }
  if (!has_schema) {
    const std::string init = std::string("BEGIN;") + schema + "INSERT INTO meta VALUES ('format_version', " +
                             std::to_string(snapshot_format_version) + "), ('instance', '" + hex(instance) +
                             "'), ('covered_lsn', 0), ('rows', 0), ('crc_sum', 0), ('taken_unix_ms', 0);COMMIT;";
    rc = exec(self->db_, init.c_str());
    if (rc != SQLITE_OK) {
      (void)exec(self->db_, "ROLLBACK");
      return fail(rc, "cannot create the schema");
    }
  }
  if (auto ec = self->read_meta(detail)) return ec;
  if (self->meta_.format_version == 1) {
    // Version 1 kept the row count and CRC sum with triggers (two meta updates per row written);
    // version 2 keeps them in the transaction and writes meta once per commit. The rows and meta
    // are the same: dropping the triggers is the whole migration.
    rc = exec(self->db_,
              "BEGIN IMMEDIATE; DROP TRIGGER IF EXISTS messages_counted_insert;"
              "DROP TRIGGER IF EXISTS messages_counted_delete; DROP TRIGGER IF EXISTS messages_counted_update;"
              "UPDATE meta SET value = 2 WHERE key = 'format_version'; COMMIT;");
    if (rc != SQLITE_OK) {
      (void)exec(self->db_, "ROLLBACK");
      return fail(rc, "cannot migrate format version 1");
    }
    if (auto ec = self->read_meta(detail)) return ec;
  }
  if (self->meta_.format_version != snapshot_format_version) {
    detail = "snapshot " + path + " has format version " + std::to_string(self->meta_.format_version) +
             " (this build reads " + std::to_string(snapshot_format_version) + ")";
    return make_error_code(errc::snapshot_corrupt);
  }
  if (auto ec = self->prepare()) {
    detail = "snapshot " + path + ": cannot prepare statements: " + self->last_error();
    return ec;
  }
  return self;
}

snapshot_db::~snapshot_db() {
  if (in_transaction_) rollback();
  finalize();
  sqlite3_close_v2(db_);
}

void snapshot_db::finalize() noexcept {
  for (auto** s : {&find_, &insert_, &update_, &crc_of_, &erase_, &set_meta_}) {
    sqlite3_finalize(*s);
    *s = nullptr;
  }
}

error_code snapshot_db::prepare() {
  const std::pair<sqlite3_stmt**, const char*> all[] = {
      {&find_, "SELECT id, state, due_ns, seq, lsn, body, letter, crc FROM messages WHERE id = ?1"},
      {&insert_,
       "INSERT INTO messages (id, queue, state, type, attempt, due_ns, seq, lsn, correlation_id, dedup_key, "
       "ordering_key, enqueued_at_ns, error, body, letter, crc) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"},
      {&update_,
       "UPDATE messages SET queue = ?2, state = ?3, type = ?4, attempt = ?5, due_ns = ?6, seq = ?7, lsn = ?8, "
       "correlation_id = ?9, dedup_key = ?10, ordering_key = ?11, enqueued_at_ns = ?12, error = ?13, body = ?14, "
       "letter = ?15, crc = ?16 WHERE id = ?1"},
      {&crc_of_, "SELECT crc FROM messages WHERE id = ?1"},
      {&erase_, "DELETE FROM messages WHERE id = ?1 RETURNING crc"},
      {&set_meta_, "UPDATE meta SET value = ?2 WHERE key = ?1"},
  };
  for (const auto& [stmt, sql] : all) {
    if (int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr); rc != SQLITE_OK) {
      return check(rc, sql);
    }
  }
  return {};
}

error_code snapshot_db::read_meta(std::string& detail) {
  statement q;
  int rc = sqlite3_prepare_v2(db_, "SELECT key, value FROM meta", -1, &q.s, nullptr);
  snapshot_meta m;
  bool seen_instance = false;
  bool seen_version = false;
  while (rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(q.s);
    if (rc != SQLITE_ROW) break;
    const auto key = column_text(q.s, 0);
    const auto value = static_cast<std::uint64_t>(sqlite3_column_int64(q.s, 1));
    if (key == "covered_lsn") {
      m.covered_lsn = value;
    } else if (key == "rows") {
      m.rows = value;
    } else if (key == "crc_sum") {
      m.crc_sum = value;
    } else if (key == "taken_unix_ms") {
      m.taken_unix_ms = value;
    } else if (key == "format_version") {
      m.format_version = static_cast<std::uint32_t>(value);
      seen_version = true;
    } else if (key == "instance") {
      const auto text = column_text(q.s, 1);
      if (text.size() != 32) break;
      for (std::size_t i = 0; i < m.instance.size(); ++i) {
        const auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
        m.instance[i] = static_cast<std::uint8_t>(nib(text[2 * i]) << 4 | nib(text[2 * i + 1]));
      }
      seen_instance = true;
    }
  }
  if (rc != SQLITE_DONE) {
    detail = "snapshot " + path_ + ": cannot read meta: " + last_error();
    return rc == SQLITE_ROW ? make_error_code(errc::snapshot_corrupt) : check(rc, "meta");
  }
  if (!seen_instance || !seen_version) {
    detail = "snapshot " + path_ + ": meta lacks the instance or format version";
    return make_error_code(errc::snapshot_corrupt);
  }
  meta_ = m;
  return {};
}

error_code snapshot_db::load(const std::function<void(durable_message&&)>& each, std::string& detail) {
  statement q;
  int rc =
      sqlite3_prepare_v2(db_, "SELECT id, state, due_ns, seq, lsn, body, letter, crc FROM messages", -1, &q.s, nullptr);
  std::uint64_t rows = 0;
  std::uint64_t sum = 0;
  durable_message d;
  while (rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(q.s);
    if (rc != SQLITE_ROW) break;
    if (!decode_row(q.s, d, detail)) {
      detail.insert(0, "snapshot " + path_ + ": ");
      return make_error_code(errc::snapshot_corrupt);
    }
    ++rows;
    sum += static_cast<std::uint32_t>(sqlite3_column_int64(q.s, 7));
    each(std::move(d));
  }
  if (rc != SQLITE_DONE) {
    detail = "snapshot " + path_ + ": cannot read its messages: " + last_error();
    return check(rc, "load");
  }
  if (rows != meta_.rows || sum != meta_.crc_sum) {
    detail = "snapshot " + path_ + ": holds " + std::to_string(rows) + " rows (CRC sum " + std::to_string(sum) +
             ") but its meta says " + std::to_string(meta_.rows) + " (" + std::to_string(meta_.crc_sum) + ")";
    return make_error_code(errc::snapshot_corrupt);
  }
  return {};
}

error_code snapshot_db::begin() {
  vfs_->clear_error();  // a disk_full of an earlier transaction must not name this one's failure
  if (int rc = exec(db_, "BEGIN IMMEDIATE"); rc != SQLITE_OK) return check(rc, "begin");
  in_transaction_ = true;
  rows_ = meta_.rows;
  crc_sum_ = meta_.crc_sum;
  return {};
}

boost::system::result<std::optional<durable_message>> snapshot_db::find(const message_id& id) {
  const auto text = id.to_chars();
  sqlite3_reset(find_);
  sqlite3_bind_text(find_, 1, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  const int rc = sqlite3_step(find_);
  durable_message d;
  std::string detail;
  const bool decoded = rc == SQLITE_ROW && decode_row(find_, d, detail);
  sqlite3_reset(find_);
  sqlite3_clear_bindings(find_);  // the bound text is a local
  if (rc == SQLITE_DONE) return std::optional<durable_message>{};
  if (rc != SQLITE_ROW) return check(rc, "find");
  if (!decoded) return make_error_code(errc::snapshot_corrupt);
  return std::optional<durable_message>(std::move(d));
}

error_code snapshot_db::put(const durable_message& d) {
  std::string& body = body_;  // reused: its capacity outlives the row
  body.clear();
  journal::encode_enqueue(d.queue, *d.m, body);
  std::string letter;
  std::string error;
  if (d.place == message_place::dead) {
    journal::dead_letter_event ev;
    ev.id = d.m->id;
    ev.reason = d.letter->reason;
    ev.cause = d.letter->cause;
    ev.first_failure_at = d.letter->first_failure_at;
    ev.last_failure_at = d.letter->last_failure_at;
    ev.dead_lettered_at = d.letter->dead_lettered_at;
    (void)journal::encode_event(ev, letter);
    error = d.letter->cause.error_type + ": " + d.letter->cause.what;
  }
  const std::int64_t due = nanos(d.due);
  const auto seq = static_cast<std::int64_t>(d.order);
  const auto lsn = static_cast<std::int64_t>(d.last_lsn);
  const auto id = d.m->id.to_chars();
  const std::uint32_t crc = row_crc(body, letter, d.place, due, seq, lsn);
  auto bind = [&](sqlite3_stmt* s) {
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 2, d.queue.data(), static_cast<int>(d.queue.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 3, state_name(d.place), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, d.m->type.data(), static_cast<int>(d.m->type.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, d.m->attempt);
    sqlite3_bind_int64(s, 6, due);
    sqlite3_bind_int64(s, 7, seq);
    sqlite3_bind_int64(s, 8, lsn);
    sqlite3_bind_text(s, 9, d.m->correlation_id.data(), static_cast<int>(d.m->correlation_id.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 10, d.m->dedup_key.data(), static_cast<int>(d.m->dedup_key.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 11, d.m->ordering_key.data(), static_cast<int>(d.m->ordering_key.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 12, nanos(d.m->enqueued_at));
    if (d.place == message_place::dead) {
      sqlite3_bind_text(s, 13, error.data(), static_cast<int>(error.size()), SQLITE_STATIC);
      sqlite3_bind_blob(s, 15, letter.data(), static_cast<int>(letter.size()), SQLITE_STATIC);
    } else {
      sqlite3_bind_null(s, 13);
      sqlite3_bind_null(s, 15);
    }
    sqlite3_bind_blob(s, 14, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 16, crc);
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc;
  };
  // Most rows are new (messages enqueued since the covered LSN): insert, and replace only when
  // the id is taken (a row changed since, or one a failed commit may have written).
  int rc = bind(insert_);
  if (rc == SQLITE_DONE) {
    ++rows_;
    crc_sum_ += crc;
    return {};
  }
  if (rc != SQLITE_CONSTRAINT_PRIMARYKEY && rc != SQLITE_CONSTRAINT_UNIQUE) return check(rc, "put");
  sqlite3_reset(crc_of_);
  sqlite3_bind_text(crc_of_, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
  rc = sqlite3_step(crc_of_);
  const auto old = static_cast<std::uint32_t>(sqlite3_column_int64(crc_of_, 0));
  sqlite3_reset(crc_of_);
  if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? make_error_code(errc::snapshot_corrupt) : check(rc, "put");
  rc = bind(update_);
  if (rc != SQLITE_DONE) return check(rc, "put");
  crc_sum_ += crc;
  crc_sum_ -= old;
  return {};
}

error_code snapshot_db::erase(const message_id& id) {
  const auto text = id.to_chars();
  sqlite3_reset(erase_);
  sqlite3_bind_text(erase_, 1, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  int rc = sqlite3_step(erase_);
  if (rc == SQLITE_ROW) {
    --rows_;
    crc_sum_ -= static_cast<std::uint32_t>(sqlite3_column_int64(erase_, 0));
    rc = sqlite3_step(erase_);  // DONE: the id is the key, one row at most
  }
  sqlite3_reset(erase_);
  return check(rc, "erase");
}

error_code snapshot_db::commit(std::uint64_t covered_lsn) {
  const auto now_ms = static_cast<std::int64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  for (const auto& [key, value] :
       {std::pair<const char*, std::int64_t>{"covered_lsn", static_cast<std::int64_t>(covered_lsn)},
        {"taken_unix_ms", now_ms},
        {"rows", static_cast<std::int64_t>(rows_)},
        {"crc_sum", static_cast<std::int64_t>(crc_sum_)}}) {
    sqlite3_reset(set_meta_);
    sqlite3_bind_text(set_meta_, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(set_meta_, 2, value);
    const int rc = sqlite3_step(set_meta_);
    sqlite3_reset(set_meta_);
    if (rc != SQLITE_DONE) return check(rc, "meta");
  }
  if (int rc = exec(db_, "COMMIT"); rc != SQLITE_OK) return check(rc, "commit");
  in_transaction_ = false;
  meta_.covered_lsn = covered_lsn;
  meta_.taken_unix_ms = static_cast<std::uint64_t>(now_ms);
  meta_.rows = rows_;
  meta_.crc_sum = crc_sum_;
  return {};
}

void snapshot_db::rollback() noexcept {
  if (!in_transaction_) return;
  (void)exec(db_, "ROLLBACK");
  in_transaction_ = false;
}

error_code snapshot_db::copy_from(snapshot_db& from, std::string& detail) {
  sqlite3_backup* b = sqlite3_backup_init(db_, "main", from.db_, "main");
  if (b == nullptr) {
    detail = "cannot copy " + from.path_ + " to " + path_ + ": " + last_error();
    return check(sqlite3_errcode(db_), "backup");
  }
  const int step = sqlite3_backup_step(b, -1);
  const int rc = sqlite3_backup_finish(b);
  if (step != SQLITE_DONE || rc != SQLITE_OK) {
    detail = "cannot copy " + from.path_ + " to " + path_ + ": " + last_error();
    return check(rc != SQLITE_OK ? rc : step, "backup");
  }
  return read_meta(detail);
}

}  // namespace sluice::snapshot
