#ifndef RH_BATCH_CLIBYAML_SHIM_H
#define RH_BATCH_CLIBYAML_SHIM_H
#include <yaml.h>
#endif
