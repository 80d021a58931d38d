#include "ubee/error.hpp"

namespace ubee {

std::string Error::to_string() const {
  std::string where;
  if (line) {
    where = "line " + std::to_string(*line);
    if (column) where += ", column " + std::to_string(*column);
  } else if (insn) {
    where = "insn " + std::to_string(*insn);
  }
  return where.empty() ? message : where + ": " + message;
}

}  // namespace ubee
