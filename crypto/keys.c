/* placeholder: being written */
#include "keys.h"
