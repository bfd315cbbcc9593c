using Recur.Tensors;

namespace Recur.Layers;

/// <summary>A trainable tensor with its gradient (same shape), named as in PyTorch's state_dict.</summary>
public sealed class Parameter(string name, Tensor value)
{
    public string Name { get; } = name;
    public Tensor Value { get; } = value;
    /// <summary>Accumulated gradient: Backward adds into it; <see cref="ZeroGrad"/> clears it.</summary>
    public Tensor Grad { get; } = new(value.Shape);
    public int[] Shape => Value.Shape;
    public void ZeroGrad() => Grad.Clear();
    public override string ToString() => $"{Name} {Tensor.ShapeString(Shape)}";
}
