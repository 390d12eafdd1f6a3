// HTTP handlers of work orders and dispatch (docs/dispatch.md):
//   POST /api/v1/work-orders                         a new order (routed by itself) orders.dispatch
//   GET  /api/v1/work-orders?status=&area=&assignee=&category=&source=&overdue=      orders.read
//   GET  /api/v1/work-orders/{id}                    one order with its history        orders.read
//   POST /api/v1/work-orders/{id}/assign|close|reopen|supervise orders.dispatch POST
//   /api/v1/work-orders/{id}/accept|report|finish   the assignee's                orders.work GET
//   /api/v1/work-orders/{id}/photos/{photo}     an evidence photo                 orders.read POST
//   /api/v1/disputes                            the mediation system's cases      orders.dispatch
//   GET|POST /api/v1/me/duty                         the person on duty: on/off, where orders.work
//   GET  /api/v1/dispatch/rules                      categories, deadlines, routing    orders.read
//   GET  /api/v1/work-calendar?year=                 the year's holidays and 调休       orders.read
// A grid worker sees only the orders assigned to them: any other is 404.
//
// Thread-safety: handlers are called concurrently; WorkOrders is thread-safe.
#pragma once

#include "dispatch/work_orders.h"
#include "http/router.h"

namespace zhizhi::dispatch {

void AddDispatchRoutes(http::Router& router, WorkOrders& orders);

}  // namespace zhizhi::dispatch
