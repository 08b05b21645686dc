//! placeholder in the lead build copy
