// The subset of onnx.proto (github.com/onnx/onnx, onnx/onnx.proto, proto2 syntax) that the importer
// and exporter read and write, as a protobufjs JSON descriptor. Field numbers and packing follow
// the original file: TensorProto's typed data fields are [packed = true], every other repeated
// scalar is unpacked (proto2 default). Skipped messages (training info, functions, sparse tensors,
// sequence/map types) are simply unknown fields to the decoder.
const rep = (type: string, id: number, packed?: boolean) => ({ rule: 'repeated', type, id, ...(packed === undefined ? {} : { options: { packed } }) });
const one = (type: string, id: number) => ({ type, id });

/** The descriptor (a function, so bundles that never touch ONNX drop it). */
export const onnxSchema = () => ({
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: one('string', 1), ref_attr_name: one('string', 21), doc_string: one('string', 13), type: one('AttributeType', 20),
            f: one('float', 2), i: one('int64', 3), s: one('bytes', 4), t: one('TensorProto', 5), g: one('GraphProto', 6),
            floats: rep('float', 7, false), ints: rep('int64', 8, false), strings: rep('bytes', 9), tensors: rep('TensorProto', 10), graphs: rep('GraphProto', 11),
          },
          nested: {
            AttributeType: {
              values: { UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, SPARSE_TENSOR: 11, TYPE_PROTO: 13, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10, SPARSE_TENSORS: 12, TYPE_PROTOS: 14 },
            },
          },
        },
        ValueInfoProto: { fields: { name: one('string', 1), type: one('TypeProto', 2), doc_string: one('string', 3) } },
        NodeProto: {
          fields: {
            input: rep('string', 1), output: rep('string', 2), name: one('string', 3), op_type: one('string', 4), domain: one('string', 7),
            attribute: rep('AttributeProto', 5), doc_string: one('string', 6),
          },
        },
        StringStringEntryProto: { fields: { key: one('string', 1), value: one('string', 2) } },
        OperatorSetIdProto: { fields: { domain: one('string', 1), version: one('int64', 2) } },
        ModelProto: {
          fields: {
            ir_version: one('int64', 1), opset_import: rep('OperatorSetIdProto', 8), producer_name: one('string', 2), producer_version: one('string', 3),
            domain: one('string', 4), model_version: one('int64', 5), doc_string: one('string', 6), graph: one('GraphProto', 7),
            metadata_props: rep('StringStringEntryProto', 14),
          },
        },
        GraphProto: {
          fields: {
            node: rep('NodeProto', 1), name: one('string', 2), initializer: rep('TensorProto', 5), doc_string: one('string', 10),
            input: rep('ValueInfoProto', 11), output: rep('ValueInfoProto', 12), value_info: rep('ValueInfoProto', 13),
          },
        },
        TensorProto: {
          fields: {
            dims: rep('int64', 1, false), data_type: one('int32', 2), float_data: rep('float', 4, true), int32_data: rep('int32', 5, true),
            string_data: rep('bytes', 6), int64_data: rep('int64', 7, true), name: one('string', 8), doc_string: one('string', 12),
            raw_data: one('bytes', 9), external_data: rep('StringStringEntryProto', 13), data_location: one('int32', 14),
            double_data: rep('double', 10, true), uint64_data: rep('uint64', 11, true),
          },
          nested: {
            DataType: {
              values: { UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16 },
            },
          },
        },
        TensorShapeProto: {
          fields: { dim: rep('Dimension', 1) },
          nested: { Dimension: { fields: { dim_value: one('int64', 1), dim_param: one('string', 2), denotation: one('string', 3) } } },
        },
        TypeProto: {
          fields: { tensor_type: one('Tensor', 1), denotation: one('string', 6) },
          nested: { Tensor: { fields: { elem_type: one('int32', 1), shape: one('TensorShapeProto', 2) } } },
        },
      },
    },
  },
});
