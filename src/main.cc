// zhizhi (智治): the district's digital-governance platform in one binary.
//
//   zhizhi serve  --data DIR [--port 8080] [--bind 127.0.0.1]   serve the API
//   zhizhi import --data DIR KIND FILE.csv [--partial]           bulk-load registry records
//   zhizhi demo   --data DIR [--projects 120 --persons 40000]   seed the demo district
//   zhizhi scan   --data DIR                                     run every alert detector
//   zhizhi report posts --data DIR --project CODE|--all [--csv F] the post ledger
//   zhizhi simulate --token-file DATA/admin.token [--load]       gate terminals (docs/simulator.md)
//   zhizhi user add|disable|enable --data DIR NAME ...           users (docs/security.md)
//   zhizhi keys rotate --data DIR                                new field key, all re-sealed
//   zhizhi audit verify --data DIR                               check the audit chain
//   zhizhi retention run --data DIR [--gate-events-days 730]     delete what is past its rule
//   zhizhi residence export --data DIR [--encoding gbk]          the daily residence export now
//   zhizhi address standardize [--threads N]                      addresses, stdin → stdout
//   zhizhi lottery demo|verify …                                 the resettlement-housing draw
//   zhizhi police-endpoint --config FILE                         reference police receiver
//   zhizhi version
//
// Each sub-command is declared and run by its file in src/app/ (command.h says how).
#include <CLI/CLI.hpp>

#include "app/address_command.h"
#include "app/alert_commands.h"
#include "app/basedata_command.h"
#include "app/command.h"
#include "app/demo_command.h"
#include "app/import_command.h"
#include "app/linkage_command.h"
#include "app/lottery_command.h"
#include "app/residence_commands.h"
#include "app/security_commands.h"
#include "app/serve_command.h"

int main(int argc, char** argv) {
  using namespace zhizhi::app;
  CLI::App app{"zhizhi (智治): digital governance of an industrial district"};
  app.require_subcommand(1);
  // In the order of `zhizhi --help`.
  const Command commands[] = {AddServeCommand(app, ZHIZHI_WEB_DIST),
                              AddImportCommand(app),
                              AddImportSourceCommand(app),
                              AddDemoCommand(app),
                              AddSimulateCommand(app),
                              AddScanCommand(app),
                              AddReportCommand(app),
                              AddUserCommand(app),
                              AddKeysCommand(app),
                              AddAuditCommand(app),
                              AddRetentionCommand(app),
                              AddResidenceCommand(app),
                              AddAddressCommand(app),
                              AddLinkageCommand(app),
                              AddLotteryCommand(app),
                              AddPoliceEndpointCommand(app),
                              AddVersionCommand(app)};
  CLI11_PARSE(app, argc, argv);
  for (const Command& command : commands) {
    if (*command.app) return command.run();
  }
  return 0;
}
