// Hub::State: what a Hub holds, shared by the files of engine/hub that implement it
// (hub.cc, bundle_import.cc). Internal to engine/hub.
//
// Thread-safety: none; the Hub's thread.
#pragma once

#include <map>
#include <memory>

#include "hub/master_log.h"
#include "hub/scope.h"
#include "liaison/hub.h"

namespace liaison {

struct Hub::State {
  Replica replica;
  HubOptions options;
  std::map<int, hub_internal::TableColumns> tables_at;  // by schema version
  std::unique_ptr<hub_internal::MasterLog> door;  // over `replica` and `options`

  Result<const hub_internal::TableColumns*> TablesAt(int version) {
    auto it = tables_at.find(version);
    if (it == tables_at.end()) {
      LIAISON_ASSIGN_OR_RETURN(hub_internal::TableColumns tables, hub_internal::TablesAtVersion(version));
      it = tables_at.emplace(version, std::move(tables)).first;
    }
    return &it->second;
  }
};

}  // namespace liaison
