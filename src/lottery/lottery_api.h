// HTTP handlers of the resettlement-housing lottery (docs/lottery.md, docs/api.md):
//   GET  /api/v1/lotteries                        every draw, drafts too      lottery.read
//   POST /api/v1/lotteries                        a new draft                 lottery.operate
//   GET  /api/v1/lotteries/{id}                   one, with what keeps a draft from committing
//   PUT  /api/v1/lotteries/{id}/inputs            the whole inputs document   lottery.operate
//   PUT  /api/v1/lotteries/{id}/inputs/{part}     one part from a CSV file    lottery.operate
//   POST /api/v1/lotteries/{id}/commit            freeze, commit, publish     lottery.operate
//   POST /api/v1/lotteries/{id}/draw              the notary's entropy        lottery.notarise
//   POST /api/v1/lotteries/{id}/sign              the notary's sign-off       lottery.notarise
//   GET  /api/v1/lotteries/{id}/record            the record so far           lottery.read
// and, without a token — a public draw is public —
//   GET  /api/v1/public/lotteries                 the published draws
//   GET  /api/v1/public/lotteries/{id}/board      the live board (?after=N&wait=S long-polls)
//   GET  /api/v1/public/lotteries/{id}/record     the record, to verify
//
// Thread-safety: handlers are called concurrently; LotteryService is thread-safe.
#pragma once

#include "http/router.h"
#include "lottery/lottery_service.h"

namespace zhizhi::lottery {

void AddLotteryRoutes(http::Router& router, LotteryService& lotteries);

}  // namespace zhizhi::lottery
