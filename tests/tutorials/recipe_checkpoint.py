"""Recipe "Saving and loading a general checkpoint": model and optimizer state, epoch and loss
in one dict; resume training or evaluate from it.

The shape of PyTorch's recipe, written for microtensor; only the import lines differ from
PyTorch code.
"""

import microtensor as torch
import microtensor.nn as nn
import microtensor.nn.functional as F
import microtensor.optim as optim

torch.manual_seed(0)


class Net(nn.Module):
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


net = Net()
print(net)

optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

# a few steps so that the optimizer has state (momentum buffers) worth saving
inputs, targets = torch.randn(4, 3, 32, 32), torch.tensor([0, 1, 2, 3])
criterion = nn.CrossEntropyLoss()
for _ in range(3):
    optimizer.zero_grad()
    loss = criterion(net(inputs), targets)
    loss.backward()
    optimizer.step()

# --- save the general checkpoint ---
EPOCH = 5
PATH = "model.pt"
LOSS = 0.4

torch.save({
            'epoch': EPOCH,
            'model_state_dict': net.state_dict(),
            'optimizer_state_dict': optimizer.state_dict(),
            'loss': LOSS,
            }, PATH)

# --- load it into a new model and optimizer ---
model = Net()
optimizer = optim.SGD(model.parameters(), lr=0.001, momentum=0.9)

checkpoint = torch.load(PATH, weights_only=True)
model.load_state_dict(checkpoint['model_state_dict'])
optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
epoch = checkpoint['epoch']
loss = checkpoint['loss']
print(f"epoch {epoch}, loss {loss}")
print(f"optimizer state entries: {len(optimizer.state_dict()['state'])}")
param_group = optimizer.state_dict()['param_groups'][0]
print(param_group['lr'], param_group['momentum'])

model.eval()
with torch.no_grad():
    print("same outputs:", torch.allclose(model(inputs), net(inputs)))
# - or -
model.train()
optimizer.zero_grad()
criterion(model(inputs), targets).backward()
optimizer.step()
print("recipe_checkpoint: done")
