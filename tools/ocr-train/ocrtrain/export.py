"""ONNX export: input 'line_image' [batch,1,32,width] (H fixed so ocrs reads it),
output 'output' [seq,batch,classes] log-softmax. TorchScript exporter, opset 17."""
from __future__ import annotations

import torch


def export_onnx(model, path, opset=17):
    model.eval()
    dummy = torch.full((1, 1, 32, 200), -0.5)
    torch.onnx.export(
        model, (dummy,), path, dynamo=False, opset_version=opset,
        input_names=["line_image"], output_names=["output"],
        dynamic_axes={"line_image": {0: "batch", 3: "width"}, "output": {0: "seq", 1: "batch"}},
        do_constant_folding=True,
    )
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return path
