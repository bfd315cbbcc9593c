using System.Runtime.InteropServices;
using Google.Protobuf;

namespace Recur.Interop;

/// <summary>
/// The few ONNX protobuf messages an exported recurrent model needs, encoded with
/// <see cref="CodedOutputStream"/> from the field numbers of the ONNX specification (onnx.proto, IR 7+).
/// Each message is built bottom-up into its bytes; a parent embeds them as a length-delimited field.
/// </summary>
internal sealed class ProtoMessage
{
    private readonly MemoryStream _bytes = new();
    private readonly CodedOutputStream _out;

    public ProtoMessage() => _out = new CodedOutputStream(_bytes, leaveOpen: true);

    public ProtoMessage Int64(int field, long value)
    {
        _out.WriteTag(field, WireFormat.WireType.Varint);
        _out.WriteInt64(value);
        return this;
    }

    public ProtoMessage Int32(int field, int value)
    {
        _out.WriteTag(field, WireFormat.WireType.Varint);
        _out.WriteInt32(value);
        return this;
    }

    public ProtoMessage Float(int field, float value)
    {
        _out.WriteTag(field, WireFormat.WireType.Fixed32);
        _out.WriteFloat(value);
        return this;
    }

    public ProtoMessage String(int field, string value)
    {
        _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _out.WriteString(value);
        return this;
    }

    public ProtoMessage Bytes(int field, ReadOnlySpan<byte> value)
    {
        _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _out.WriteBytes(ByteString.CopyFrom(value));
        return this;
    }

    public ProtoMessage Message(int field, ProtoMessage child) => Bytes(field, child.ToArray());

    public byte[] ToArray()
    {
        _out.Flush();
        return _bytes.ToArray();
    }
}

/// <summary>ONNX's element types (TensorProto.DataType) used here.</summary>
internal enum OnnxType
{
    Float = 1,
    Int64 = 7,
}

/// <summary>Builders for ONNX messages, with the field numbers of onnx.proto.</summary>
internal static class Onnx
{
    // AttributeProto.AttributeType
    private const int AttrFloat = 1, AttrInt = 2, AttrString = 3, AttrInts = 7, AttrStrings = 8;

    /// <summary>TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9 (little-endian).</summary>
    public static ProtoMessage Tensor(string name, ReadOnlySpan<float> values, params long[] dims)
    {
        CheckCount(name, values.Length, dims);
        var m = new ProtoMessage();
        foreach (long d in dims) m.Int64(1, d);
        m.Int32(2, (int)OnnxType.Float).String(8, name);
        if (BitConverter.IsLittleEndian) m.Bytes(9, MemoryMarshal.AsBytes(values));
        else
        {
            var le = new byte[values.Length * 4];
            for (int i = 0; i < values.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(le.AsSpan(4 * i), values[i]);
            m.Bytes(9, le);
        }
        return m;
    }

    public static ProtoMessage Tensor(string name, ReadOnlySpan<long> values, params long[] dims)
    {
        CheckCount(name, values.Length, dims);
        var m = new ProtoMessage();
        foreach (long d in dims) m.Int64(1, d);
        m.Int32(2, (int)OnnxType.Int64).String(8, name);
        var le = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(le.AsSpan(8 * i), values[i]);
        m.Bytes(9, le);
        return m;
    }

    private static void CheckCount(string name, int count, long[] dims)
    {
        long n = 1;
        foreach (long d in dims) n *= d;
        if (n != count) throw new ArgumentException($"ONNX tensor '{name}': {count} values for dims [{string.Join(", ", dims)}]");
    }

    /// <summary>A dimension: a fixed extent (long) or a symbolic name (string).</summary>
    public readonly record struct Dim(long Value, string? Param)
    {
        public static implicit operator Dim(long v) => new(v, null);
        public static implicit operator Dim(string p) => new(0, p);
    }

    /// <summary>ValueInfoProto (name = 1, type = 2) of a tensor: TypeProto.tensor_type = 1 → elem_type = 1,
    /// shape = 2 → TensorShapeProto.dim = 1 → dim_value = 1 | dim_param = 2.</summary>
    public static ProtoMessage ValueInfo(string name, OnnxType type, params Dim[] dims)
    {
        var shape = new ProtoMessage();
        foreach (var d in dims)
        {
            var dim = new ProtoMessage();
            if (d.Param is not null) dim.String(2, d.Param);
            else dim.Int64(1, d.Value);
            shape.Message(1, dim);
        }
        var tensorType = new ProtoMessage().Int32(1, (int)type).Message(2, shape);
        var typeProto = new ProtoMessage().Message(1, tensorType);
        return new ProtoMessage().String(1, name).Message(2, typeProto);
    }

    /// <summary>AttributeProto: name = 1, f = 2, i = 3, s = 4, ints = 8, strings = 9, type = 20.</summary>
    public static ProtoMessage Attr(string name, long value) => new ProtoMessage().String(1, name).Int64(3, value).Int32(20, AttrInt);

    public static ProtoMessage Attr(string name, float value) => new ProtoMessage().String(1, name).Float(2, value).Int32(20, AttrFloat);

    public static ProtoMessage Attr(string name, string value) =>
        new ProtoMessage().String(1, name).Bytes(4, System.Text.Encoding.UTF8.GetBytes(value)).Int32(20, AttrString);

    public static ProtoMessage Attr(string name, long[] values)
    {
        var m = new ProtoMessage().String(1, name);
        foreach (long v in values) m.Int64(8, v);
        return m.Int32(20, AttrInts);
    }

    public static ProtoMessage Attr(string name, string[] values)
    {
        var m = new ProtoMessage().String(1, name);
        foreach (var v in values) m.Bytes(9, System.Text.Encoding.UTF8.GetBytes(v));
        return m.Int32(20, AttrStrings);
    }

    /// <summary>NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5. An empty input name
    /// leaves an optional input out.</summary>
    public static ProtoMessage Node(string opType, string name, string[] inputs, string[] outputs, params ProtoMessage[] attributes)
    {
        var m = new ProtoMessage();
        foreach (var i in inputs) m.String(1, i);
        foreach (var o in outputs) m.String(2, o);
        m.String(3, name).String(4, opType);
        foreach (var a in attributes) m.Message(5, a);
        return m;
    }

    /// <summary>GraphProto: node = 1, name = 2, initializer = 5, doc_string = 10, input = 11, output = 12.</summary>
    public static ProtoMessage Graph(string name, IEnumerable<ProtoMessage> nodes, IEnumerable<ProtoMessage> initializers,
        IEnumerable<ProtoMessage> inputs, IEnumerable<ProtoMessage> outputs, string? doc = null)
    {
        var m = new ProtoMessage();
        foreach (var n in nodes) m.Message(1, n);
        m.String(2, name);
        foreach (var t in initializers) m.Message(5, t);
        if (doc is not null) m.String(10, doc);
        foreach (var i in inputs) m.Message(11, i);
        foreach (var o in outputs) m.Message(12, o);
        return m;
    }

    /// <summary>ModelProto: ir_version = 1, producer_name = 2, producer_version = 3, doc_string = 6, graph = 7,
    /// opset_import = 8 (OperatorSetIdProto: domain = 1, version = 2).</summary>
    public static byte[] Model(ProtoMessage graph, int opset, string producerVersion, string? doc = null)
    {
        var opsetId = new ProtoMessage().String(1, "").Int64(2, opset);
        var m = new ProtoMessage().Int64(1, IrVersion(opset)).String(2, "recur").String(3, producerVersion);
        if (doc is not null) m.String(6, doc);
        return m.Message(7, graph).Message(8, opsetId).ToArray();
    }

    /// <summary>The IR version that came with an opset of the default domain (ONNX's versioning table).</summary>
    public static long IrVersion(int opset) => opset switch
    {
        <= 14 => 7,
        <= 18 => 8,
        <= 20 => 9,
        <= 22 => 10,
        _ => 11,
    };
}
