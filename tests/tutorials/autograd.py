"""Automatic differentiation: requires_grad, grad_fn, backward, no_grad, detach, Jacobian-vector
products, and torch.autograd.grad.

The shape of PyTorch's beginner "Automatic Differentiation with torch.autograd" and the blitz's
"A Gentle Introduction to torch.autograd", written for microtensor; only the import lines differ
from PyTorch code.
"""

import microtensor as torch
from microtensor import nn

torch.manual_seed(0)

# --- a one-layer network and its loss ---
x = torch.ones(5)  # input tensor
y = torch.zeros(3)  # expected output
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)

print(f"Gradient function for z = {z.grad_fn}")
print(f"Gradient function for loss = {loss.grad_fn}")
print("next functions of z:", z.grad_fn.next_functions)

# --- computing gradients ---
loss.backward()
print(w.grad)
print(b.grad)
expected_b_grad = (torch.sigmoid(z) - y) / 3
print("b.grad matches sigmoid(z) - y over 3:", torch.allclose(b.grad, expected_b_grad))

# --- disabling gradient tracking ---
z = torch.matmul(x, w) + b
print(z.requires_grad)

with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)

z = torch.matmul(x, w) + b
z_det = z.detach()
print(z_det.requires_grad)

# --- the blitz: Q = 3a^3 - b^2, backward with an external gradient ---
a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)
Q = 3 * a**3 - b**2
external_grad = torch.tensor([1., 1.])
Q.backward(gradient=external_grad)
print(9 * a**2 == a.grad)
print(-2 * b == b.grad)

# --- walking the graph backwards from a node ---
print(Q.grad_fn)
print(Q.grad_fn.next_functions)
print(Q.grad_fn.next_functions[0][0].next_functions)

# --- Jacobian-vector products ---
inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad}")

x = torch.randn(3, requires_grad=True)
y = x * 2
while y.data.norm() < 1000:
    y = y * 2
v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
y.backward(v)
print("x.grad / v is one power of two:", torch.allclose(x.grad / v, (x.grad / v)[0].expand(3)))

print(x.requires_grad)
print((x ** 2).requires_grad)
with torch.no_grad():
    print((x ** 2).requires_grad)
print(x.requires_grad)
y = x.detach()
print(y.requires_grad)
print(x.eq(y).all())

# --- torch.autograd.grad: gradients as return values, and a second derivative ---
x = torch.tensor(2.0, requires_grad=True)
y = x ** 3
(dy_dx,) = torch.autograd.grad(y, x, create_graph=True)
(d2y_dx2,) = torch.autograd.grad(dy_dx, x)
print(f"dy/dx = {dy_dx.item()}, d2y/dx2 = {d2y_dx2.item()}")

# --- a second backward through a freed graph is an error ---
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = (x * x).sum()
y.backward()
try:
    y.backward()
except RuntimeError as error:
    print("second backward:", str(error).splitlines()[0][:60])

# --- freezing parameters (the blitz's finetuning paragraph, on a small model) ---
model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 10))
for param in model.parameters():
    param.requires_grad = False
model[2] = nn.Linear(16, 4)
optimizer = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
model(torch.randn(2, 8)).sum().backward()
print("frozen grads:", [p.grad is None for p in model[0].parameters()])
print("new layer grads:", [p.grad is not None for p in model[2].parameters()])
x = torch.randn(2, 2, requires_grad=True).requires_grad_(False)
print(x.requires_grad)
print("autograd: done")
