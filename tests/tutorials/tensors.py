"""Tensors: making them, their attributes, moving them, indexing, joining, arithmetic, NumPy.

The shape of PyTorch's beginner "Tensors" tutorial (and the 60-minute blitz's tensor part),
written for microtensor; only the import lines differ from PyTorch code.
"""

import numpy as np

import microtensor as torch

torch.manual_seed(0)

# --- initializing a tensor ---
data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
print(x_data)

np_array = np.array(data)
x_np = torch.from_numpy(np_array)
print(x_np)

x_ones = torch.ones_like(x_data)  # retains the properties of x_data
print(f"Ones Tensor: \n {x_ones} \n")

x_rand = torch.rand_like(x_data, dtype=torch.float)  # overrides the datatype of x_data
print(f"Random Tensor: \n {x_rand} \n")

shape = (2, 3,)
rand_tensor = torch.rand(shape)
ones_tensor = torch.ones(shape)
zeros_tensor = torch.zeros(shape)

print(f"Random Tensor: \n {rand_tensor} \n")
print(f"Ones Tensor: \n {ones_tensor} \n")
print(f"Zeros Tensor: \n {zeros_tensor}")

x = torch.empty(5, 3)
x = torch.zeros(5, 3, dtype=torch.long)
print(x)
x = x.new_ones(5, 3, dtype=torch.double)
x = torch.randn_like(x, dtype=torch.float)
print(x.size())
print(torch.arange(6).reshape(2, 3))
print(torch.linspace(0, 1, steps=5))
print(torch.full((2, 2), 7.0))
print(torch.eye(3))

# --- attributes ---
tensor = torch.rand(3, 4)

print(f"Shape of tensor: {tensor.shape}")
print(f"Datatype of tensor: {tensor.dtype}")
print(f"Device tensor is stored on: {tensor.device}")
print(tensor.ndim, tensor.numel(), tensor.requires_grad, tensor.is_leaf)

# --- operations: move to the accelerator when there is one ---
if torch.cuda.is_available():
    tensor = tensor.to("cuda")
if torch.accelerator.is_available():
    tensor = tensor.to(torch.accelerator.current_accelerator())
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
tensor = tensor.to(device)
print(tensor.device, tensor.cpu().device)

# --- indexing and slicing ---
tensor = torch.ones(4, 4)
print(f"First row: {tensor[0]}")
print(f"First column: {tensor[:, 0]}")
print(f"Last column: {tensor[..., -1]}")
tensor[:, 1] = 0
print(tensor)
print(tensor[1:3, ::2])
print(tensor[tensor > 0.5].shape)
print(tensor[[0, 2]])

# --- joining tensors ---
t1 = torch.cat([tensor, tensor, tensor], dim=1)
print(t1)
print(torch.stack([tensor, tensor]).shape)

# --- arithmetic ---
y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.rand_like(y1)
torch.matmul(tensor, tensor.T, out=y3)
print(torch.equal(y1, y2), torch.equal(y1, y3))

z1 = tensor * tensor
z2 = tensor.mul(tensor)
z3 = torch.rand_like(tensor)
torch.mul(tensor, tensor, out=z3)
print(torch.equal(z1, z2), torch.equal(z1, z3))

# single-element tensors
agg = tensor.sum()
agg_item = agg.item()
print(agg_item, type(agg_item))

# reshaping
x = torch.randn(4, 4)
y = x.view(16)
z = x.view(-1, 8)
print(x.size(), y.size(), z.size())
print(x.reshape(2, 8).shape, x.flatten().shape, x.unsqueeze(0).shape, x[None].squeeze().shape)

# --- in-place operations ---
print(f"{tensor} \n")
tensor.add_(5)
print(tensor)
x = torch.zeros(2, 2)
x.copy_(torch.ones(2, 2))
x.t_()
x.mul_(3).sub_(1)
print(x)

# --- bridge with NumPy ---
t = torch.ones(5)
print(f"t: {t}")
n = t.numpy()
print(f"n: {n}")

t.add_(1)
print(f"t: {t}")
print(f"n: {n}")

n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
print(f"t: {t}")
print(f"n: {n}")
print("tensors: done")
