"""Recipe "Zeroing out gradients in PyTorch": a small CNN on digits, optimizer.zero_grad() before
each backward, and what accumulating looks like without it.

The shape of PyTorch's recipe, written for microtensor. The only changes from PyTorch code: the
import lines, and the 8x8 scikit-learn digits where the recipe downloads CIFAR10.
"""

from sklearn.datasets import load_digits

import microtensor as torch
import microtensor.nn as nn
import microtensor.nn.functional as F
import microtensor.optim as optim
from microtensor.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)

# --- data (the swap: digits instead of torchvision.datasets.CIFAR10) ---
digits = load_digits()
images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
labels = torch.tensor(digits.target)
trainset = TensorDataset((images - 0.5) / 0.5, labels)
trainloader = DataLoader(trainset, batch_size=16, shuffle=True)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 2)
        self.fc1 = nn.Linear(16 * 2 * 2, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = F.relu(self.conv2(x))
        x = x.view(-1, 16 * 2 * 2)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


net = Net()

criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

for epoch in range(2):  # loop over the dataset multiple times

    running_loss = 0.0
    for i, data in enumerate(trainloader, 0):
        # get the inputs; data is a list of [inputs, labels]
        inputs, labels = data

        # zero the parameter gradients
        optimizer.zero_grad()

        # forward + backward + optimize
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()

        # print statistics
        running_loss += loss.item()
        if i % 50 == 49:  # print every 50 mini-batches
            print(f'[{epoch + 1}, {i + 1:5d}] loss: {running_loss / 50:.3f}')
            running_loss = 0.0

print('Finished Training')

# --- without zero_grad the gradients add up ---
inputs, labels = next(iter(trainloader))
net.zero_grad()
criterion(net(inputs), labels).backward()
once = net.fc3.bias.grad.clone()
criterion(net(inputs), labels).backward()
print("accumulated twice:", torch.allclose(net.fc3.bias.grad, 2 * once))
optimizer.zero_grad()
print("after zero_grad:", net.fc3.bias.grad)
optimizer.zero_grad(set_to_none=False)
print("recipe_zeroing_gradients: done")
