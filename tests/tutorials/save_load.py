"""Save and load the model: state_dict to a file, back into a new model with weights_only=True.

The shape of PyTorch's beginner "Save and Load the Model" tutorial, written for microtensor. The
only changes from PyTorch code: the import lines, and a small model of our own where the tutorial
uses torchvision's pretrained VGG16 (no network). Saving the whole model object
(``torch.save(model, ...)``, loaded with ``weights_only=False``) is left out: microtensor never
pickles (see docs/tutorials.md).
"""

import microtensor as torch
from microtensor import nn

torch.manual_seed(0)


def make_model():
    return nn.Sequential(
        nn.Conv2d(1, 4, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(4 * 8 * 8, 10),
    )


# --- saving and loading model weights ---
model = make_model()
torch.save(model.state_dict(), "model_weights.pth")

model = make_model()  # we do not specify weights, i.e. a fresh random model
result = model.load_state_dict(torch.load("model_weights.pth", weights_only=True))
print(result)
model.eval()

reference = make_model()
reference.load_state_dict(torch.load("model_weights.pth", weights_only=True))
x = torch.rand(2, 1, 8, 8)
with torch.no_grad():
    same = torch.equal(model(x), reference(x))
print(f"same outputs after loading: {same}")

# --- what a state_dict holds ---
for param_tensor in model.state_dict():
    print(param_tensor, "\t", model.state_dict()[param_tensor].size())

state = torch.load("model_weights.pth", weights_only=True, map_location="cpu")
print(sorted(state.keys()))
print("save_load: done")
