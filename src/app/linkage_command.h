// `zhizhi linkage`: record linkage of base-data feeds without a server (docs/basedata.md).
//
//   zhizhi linkage feeds --out DIR [--people N] [--houses N] [--addresses N] [--units N]
//                        [--seed S] [--hard]
//       writes the demo district's source feeds with planted duplicates, their mappings and the
//       truth apart (app/basedata_feeds.h); defaults are the seed's scale (1.03 M people).
//   zhizhi linkage run --feeds DIR [--out FILE] [--threads N] [--gazetteer DIR] [--region CODE]
//       reads every person feed of DIR (DIR/mappings/<source>.json and DIR/<source>.csv|jsonl),
//       standardises the addresses, links the records and writes one JSON line per record,
//       {"source","source_id","entity"}, to FILE; the report (rows, issues, comparisons,
//       EM, entities, seconds, memory) goes to stdout as JSON.
//
// Thread-safety: as command.h.
#pragma once

#include "app/command.h"

namespace zhizhi::app {

Command AddLinkageCommand(CLI::App& app);

}  // namespace zhizhi::app
