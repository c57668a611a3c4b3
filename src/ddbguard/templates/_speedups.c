/* A YAML template built in C from libyaml's events, for the common case only.

   decode_yaml.py builds the same values from PyYAML's events in Python; this does what that loop does for the
   events a CloudFormation template is made of (untagged and short-form scalars, mappings and sequences) and
   answers BAIL for anything else: an anchor, an alias, a second document, another tag, a key that is not text, a
   duplicate key, a nesting too deep, any libyaml error. Python then decodes the whole text its own way, so every
   error and every rare shape keeps one implementation, with its message and line. A plain scalar that a YAML 1.1
   pattern may match is handed to Python's resolver (once per distinct text), so types are read in one place too.
   tests/test_decode_yaml_differential.py holds both builders to PyYAML's composer. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <yaml.h>

#define MAX_DEPTH 100        /* marks.MAX_DEPTH: deeper is Python's error to raise */
#define INTERN_BELOW 64      /* texts shorter than this are interned, as in decode_yaml.py */
#define PLAIN_CACHE_SIZE 10000

typedef struct {
    PyObject *container;     /* a MarkedDict or a list */
    int in_list;
    PyObject *key;           /* the pending key (NULL: none) */
    long key_line;
    PyObject *lines;         /* the mapping's key lines, a list (NULL for a list) */
    PyObject *function;      /* borrowed: the intrinsic function its tag stands for, or NULL */
    long start_line;
} Frame;

/* set once by configure() */
static PyTypeObject *marked_dict;
static Py_ssize_t line_offset, lines_offset;   /* MarkedDict's _line and _lines slots */
static PyObject *short_forms, *collection_tags, *resolve_plain, *bail, *get_att, *empty_tuple;
static char resolver_first[128];               /* first characters some implicit resolver may match */

static PyObject *intern_short(PyObject *text) {
    if (PyUnicode_GET_LENGTH(text) < INTERN_BELOW)
        PyUnicode_InternInPlace(&text);
    return text;
}

static int set_slot(PyObject *object, Py_ssize_t offset, PyObject *value) {
    PyObject **slot = (PyObject **)((char *)object + offset);
    Py_XSETREF(*slot, value);  /* steals value */
    return value == NULL ? -1 : 0;
}

static PyObject *new_marked(long line) {
    PyObject *result = marked_dict->tp_new(marked_dict, empty_tuple, NULL);
    if (result == NULL || set_slot(result, line_offset, PyLong_FromLong(line)) < 0) {
        Py_XDECREF(result);
        return NULL;
    }
    return result;
}

/* `!GetAtt Table.Arn` is the string form of ["Table", "Arn"]; every short form becomes {function: value} */
static PyObject *wrapped(PyObject *function, PyObject *value, long line) {  /* steals value */
    if (value == NULL)
        return NULL;
    if (function == get_att && PyUnicode_CheckExact(value)) {
        PyObject *dot = PyUnicode_FromString(".");
        PyObject *parts = dot == NULL ? NULL : PyUnicode_Split(value, dot, 1);
        Py_XDECREF(dot);
        Py_DECREF(value);
        if ((value = parts) == NULL)
            return NULL;
    }
    PyObject *result = new_marked(line);
    if (result == NULL || PyDict_SetItem(result, function, value) < 0
            || set_slot(result, lines_offset, Py_BuildValue("(l)", line)) < 0) {
        Py_XDECREF(result);
        Py_DECREF(value);
        return NULL;
    }
    Py_DECREF(value);
    return result;
}

/* The function a tag stands for (new reference to the shared string in short_forms, or Py_None for a plain
   collection), NULL with no error: a tag Python must judge, NULL with an error set: failure. */
static PyObject *tag_function(const yaml_char_t *tag, int collection) {
    if (tag == NULL)
        return Py_NewRef(Py_None);
    PyObject *text = PyUnicode_FromString((const char *)tag);
    if (text == NULL)
        return NULL;
    PyObject *function = PyDict_GetItemWithError(short_forms, text);
    if (function == NULL && !PyErr_Occurred() && collection) {
        int plain = PySet_Contains(collection_tags, text);
        if (plain > 0)
            function = Py_None;
        else if (plain < 0) {
            Py_DECREF(text);
            return NULL;
        }
    }
    Py_DECREF(text);
    return Py_XNewRef(function);
}

static PyObject *plain_cache;

static PyObject *scalar(yaml_event_t *event, long line, int *must_bail) {
    const char *text = (const char *)event->data.scalar.value;
    Py_ssize_t length = (Py_ssize_t)event->data.scalar.length;
    if (event->data.scalar.anchor != NULL) {
        *must_bail = 1;
        return NULL;
    }
    if (event->data.scalar.tag != NULL) {
        PyObject *function = tag_function(event->data.scalar.tag, 0);
        if (function == NULL) {
            *must_bail = !PyErr_Occurred();
            return NULL;
        }
        PyObject *result = wrapped(function, PyUnicode_DecodeUTF8(text, length, "strict"), line);
        Py_DECREF(function);
        return result;
    }
    PyObject *value = PyUnicode_DecodeUTF8(text, length, "strict");
    if (value == NULL)
        return NULL;
    if (!event->data.scalar.plain_implicit)  /* quoted: text */
        return intern_short(value);
    unsigned char first = length ? (unsigned char)text[0] : 0;
    if (length && (first >= 128 || !resolver_first[first]))  /* no YAML 1.1 pattern can match: text */
        return intern_short(value);
    PyObject *decoded = PyDict_GetItemWithError(plain_cache, value);
    if (decoded != NULL) {
        Py_DECREF(value);
        return Py_NewRef(decoded);
    }
    if (PyErr_Occurred()) {
        Py_DECREF(value);
        return NULL;
    }
    decoded = PyObject_CallFunction(resolve_plain, "Ol", value, line);
    if (decoded != NULL && PyDict_GET_SIZE(plain_cache) < PLAIN_CACHE_SIZE
            && (PyUnicode_CheckExact(decoded) || PyBool_Check(decoded) || PyLong_CheckExact(decoded)
                || PyFloat_CheckExact(decoded) || decoded == Py_None)
            && PyDict_SetItem(plain_cache, value, decoded) < 0)
        Py_CLEAR(decoded);
    Py_DECREF(value);
    return decoded;
}

static void clear_frame(Frame *frame) {
    Py_CLEAR(frame->container);
    Py_CLEAR(frame->key);
    Py_CLEAR(frame->lines);
}

/* build(text: bytes) -> the template, or BAIL */
static PyObject *build(PyObject *module, PyObject *arg) {
    if (!PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "build() takes bytes");
        return NULL;
    }
    if (marked_dict == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure() first");
        return NULL;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return PyErr_NoMemory();
    yaml_parser_set_input_string(&parser, (const unsigned char *)PyBytes_AS_STRING(arg),
                                 (size_t)PyBytes_GET_SIZE(arg));
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    Py_XSETREF(plain_cache, PyDict_New());
    Frame stack[MAX_DEPTH + 1];
    int depth = 0, documents = 0, must_bail = 0, done = 0;
    Frame current = {NULL, 0, NULL, 0, NULL, NULL, 0};
    PyObject *root = NULL, *result = NULL;
    while (!done && plain_cache != NULL) {
        yaml_event_t event;
        if (!yaml_parser_parse(&parser, &event)) {
            must_bail = 1;  /* Python raises libyaml's error with its message and line */
            break;
        }
        long line = (long)event.start_mark.line + 1;
        PyObject *value = NULL;
        int completes = 0;
        switch (event.type) {
        case YAML_SCALAR_EVENT:
            value = scalar(&event, line, &must_bail);
            completes = 1;
            break;
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT: {
            int mapping = event.type == YAML_MAPPING_START_EVENT;
            yaml_char_t *anchor = mapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor;
            yaml_char_t *tag = mapping ? event.data.mapping_start.tag : event.data.sequence_start.tag;
            PyObject *function = anchor != NULL || depth >= MAX_DEPTH ? NULL : tag_function(tag, 1);
            if (function == NULL) {
                must_bail = !PyErr_Occurred();
                break;
            }
            stack[depth++] = current;
            current.container = mapping ? new_marked(line) : PyList_New(0);
            current.in_list = !mapping;
            current.key = NULL;
            current.lines = mapping ? PyList_New(0) : NULL;
            current.function = function == Py_None ? NULL : function;
            Py_DECREF(function);  /* short_forms holds it */
            current.start_line = line;
            if (current.container == NULL || (mapping && current.lines == NULL))
                must_bail = 0, done = -1;
            break;
        }
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            value = current.container;
            current.container = NULL;
            if (!current.in_list) {
                PyObject *lines = PyList_AsTuple(current.lines);
                if (lines == NULL || set_slot(value, lines_offset, lines) < 0)
                    Py_CLEAR(value);
            }
            if (value != NULL && current.function != NULL)
                value = wrapped(current.function, value, current.start_line);
            clear_frame(&current);
            current = stack[--depth];
            completes = 1;
            break;
        case YAML_ALIAS_EVENT:
            must_bail = 1;
            break;
        case YAML_DOCUMENT_START_EVENT:
            must_bail = ++documents > 1;
            break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        default:
            break;
        }
        if (completes && value != NULL) {
            if (current.container == NULL && depth == 0) {
                Py_XSETREF(root, value);
            } else if (current.in_list) {
                if (PyList_Append(current.container, value) < 0)
                    done = -1;
                Py_DECREF(value);
            } else if (current.key == NULL) {
                if (PyUnicode_CheckExact(value)) {  /* a key is text; anything else is Python's error */
                    PyUnicode_InternInPlace(&value);
                    current.key = value;
                    current.key_line = line;
                } else {
                    Py_DECREF(value);
                    must_bail = 1;
                }
            } else {
                int present = PyDict_Contains(current.container, current.key);
                PyObject *key_line = present == 0 ? PyLong_FromLong(current.key_line) : NULL;
                if (present != 0)
                    must_bail = present > 0, done = present < 0 ? -1 : done;
                else if (key_line == NULL || PyDict_SetItem(current.container, current.key, value) < 0
                         || PyList_Append(current.lines, key_line) < 0)
                    done = -1;
                Py_XDECREF(key_line);
                Py_DECREF(value);
                Py_CLEAR(current.key);
            }
        } else if (completes && !must_bail) {
            done = -1;  /* an error is set */
        }
        yaml_event_delete(&event);
        if (must_bail || PyErr_Occurred())
            break;
    }
    if (!must_bail && !PyErr_Occurred() && done == 1)
        result = root == NULL ? Py_NewRef(Py_None) : Py_NewRef(root);
    else if (must_bail && !PyErr_Occurred())
        result = Py_NewRef(bail);
    Py_XDECREF(root);
    clear_frame(&current);
    while (depth > 0)
        clear_frame(&stack[--depth]);
    Py_CLEAR(plain_cache);
    yaml_parser_delete(&parser);
    return result;
}

static Py_ssize_t slot_offset(PyObject *type, const char *name) {
    PyObject *descriptor = PyObject_GetAttrString(type, name);
    if (descriptor == NULL)
        return -1;
    Py_ssize_t offset = -1;
    if (Py_IS_TYPE(descriptor, &PyMemberDescr_Type)) {
        PyMemberDef *member = ((PyMemberDescrObject *)descriptor)->d_member;
        if (member->type == T_OBJECT_EX)
            offset = member->offset;
    }
    Py_DECREF(descriptor);
    if (offset < 0)
        PyErr_Format(PyExc_TypeError, "%s is not an object slot", name);
    return offset;
}

/* configure(MarkedDict, short_forms, collection_tags, resolver_first_chars, resolve_plain, bail) */
static PyObject *configure(PyObject *module, PyObject *args) {
    PyObject *type, *forms, *tags, *first, *resolve, *sentinel;
    if (!PyArg_ParseTuple(args, "O!O!O!UOO", &PyType_Type, &type, &PyDict_Type, &forms, &PyFrozenSet_Type, &tags,
                          &first, &resolve, &sentinel))
        return NULL;
    if (!PyType_IsSubtype((PyTypeObject *)type, &PyDict_Type)) {
        PyErr_SetString(PyExc_TypeError, "MarkedDict must be a dict");
        return NULL;
    }
    Py_ssize_t line_at = slot_offset(type, "_line"), lines_at = slot_offset(type, "_lines");
    if (line_at < 0 || lines_at < 0)
        return NULL;
    memset(resolver_first, 0, sizeof resolver_first);
    for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(first); i++) {
        Py_UCS4 c = PyUnicode_READ_CHAR(first, i);
        if (c >= 128) {
            PyErr_SetString(PyExc_ValueError, "resolver first characters must be ASCII");
            return NULL;
        }
        resolver_first[c] = 1;
    }
    PyObject *att = PyDict_GetItemString(forms, "!GetAtt");  /* the function compared by identity */
    if (att == NULL) {
        PyErr_SetString(PyExc_ValueError, "short forms without !GetAtt");
        return NULL;
    }
    if (empty_tuple == NULL && (empty_tuple = PyTuple_New(0)) == NULL)
        return NULL;
    Py_XSETREF(marked_dict, (PyTypeObject *)Py_NewRef(type));
    line_offset = line_at, lines_offset = lines_at;
    Py_XSETREF(short_forms, Py_NewRef(forms));
    Py_XSETREF(get_att, Py_NewRef(att));
    Py_XSETREF(collection_tags, Py_NewRef(tags));
    Py_XSETREF(resolve_plain, Py_NewRef(resolve));
    Py_XSETREF(bail, Py_NewRef(sentinel));
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS, "Set the types, tables and callbacks the builder uses."},
    {"build", build, METH_O, "Build a template from UTF-8 YAML, or answer the bail sentinel."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_yaml_builder", NULL, -1, methods};

PyMODINIT_FUNC PyInit__yaml_builder(void) {
    return PyModule_Create(&module);
}
