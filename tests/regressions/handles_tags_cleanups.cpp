// handles_tags_cleanups.cpp - regression tests of issue 16 (reliability, round 3).
#include <gtest/gtest.h>

#include "mpool/mpool.hpp"
#include "test_support.hpp"
