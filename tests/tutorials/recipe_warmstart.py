"""Recipe "Warmstarting a model using parameters from a different model": load_state_dict with
strict=False, and renaming keys to match.

The shape of PyTorch's recipe, written for microtensor; only the import lines differ from
PyTorch code.
"""

import microtensor as torch
import microtensor.nn as nn
import microtensor.nn.functional as F

torch.manual_seed(0)


class NetA(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


netA = NetA()


class NetB(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)
        self.fc4 = nn.Linear(10, 2)  # a new head: not in netA

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = F.relu(self.fc3(x))
        return self.fc4(x)


netB = NetB()

# --- save model A, load it into model B with strict=False ---
PATH = "model.pt"
torch.save(netA.state_dict(), PATH)

result = netB.load_state_dict(torch.load(PATH, weights_only=True), strict=False)
print(result)
print("missing:", result.missing_keys)
print("unexpected:", result.unexpected_keys)
print("conv1 copied:", torch.equal(netA.conv1.weight, netB.conv1.weight))

# --- strict loading of a mismatched state dict fails, naming the keys ---
try:
    netB.load_state_dict(torch.load(PATH, weights_only=True))
except RuntimeError as error:
    print("strict load:", str(error).splitlines()[0])

# --- keys that do not match by name: rename them before loading ---
state = torch.load(PATH, weights_only=True)
renamed = {key.replace("fc3", "head"): value for key, value in state.items()}


class NetC(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.head = nn.Linear(84, 10)


netC = NetC()
result = netC.load_state_dict(renamed, strict=False)
print("head copied:", torch.equal(netC.head.weight, netA.fc3.weight))
print("unexpected after renaming:", sorted(result.unexpected_keys))
print("recipe_warmstart: done")
