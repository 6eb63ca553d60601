#pragma once
// Everything an mxpp user needs: #include <mx/mx.h>
#include <mx/engine/context.h>
#include <mx/engine/engine.h>
#include <mx/engine/error.h>
#include <mx/engine/trace.h>
#include <mx/ndarray/dtype.h>
#include <mx/ndarray/error.h>
#include <mx/ndarray/shape.h>
#include <mx/ndarray/storage.h>
