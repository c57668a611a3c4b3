/* The C versions of the hot loops of reading a template, each the twin of a Python function that stays the
   reference (and the code where this is not compiled): templates built from their text, and the copy of a template
   with its intrinsic functions resolved.

   Templates built in C: JSON by a scanner of its own, YAML from libyaml's events. Both make the values the Python
   decoders make, every mapping a MarkedDict with the line of itself and of each key (marked when built, so no
   finding ever searches the text for its line), and both answer BAIL for whatever they do not build; Python then
   decodes the whole text its own way, so every error and every rare shape keeps one implementation, with its
   message and line.

   JSON: what json.loads accepts and builds, for a document with no NaN or Infinity, no duplicate key, no number
   Python would refuse to convert, nesting at most MAX_DEPTH levels; a string with escapes is read by json's own
   scanstring. tests/test_decode_lines.py holds it to the eager decoder, value and line.

   YAML: for the common case only. decode_yaml.py builds the same values from PyYAML's events in Python; this does
   what that loop does for the events a CloudFormation template is made of (untagged and short-form scalars,
   mappings and sequences) and answers BAIL for anything else: an anchor, an alias, a second document, another tag,
   a key that is not text, a duplicate key, a nesting too deep, any libyaml error. A plain scalar that a YAML 1.1
   pattern may match is handed to Python's resolver (once per distinct text), so types are read in one place too.
   tests/test_decode_yaml_differential.py holds both builders to PyYAML's composer.

   Also: decode.line_of's walk (a finding's line), and Resolver.resolve's copy of a template. */

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

/* set once by configure(), configure_yaml() and configure_json() */
static PyTypeObject *marked_dict;
static Py_ssize_t line_offset, lines_offset, key_lines_offset, source_offset;  /* MarkedDict's slots */
static PyObject *bail, *empty_tuple;
static PyObject *short_forms, *collection_tags, *resolve_plain, *get_att;
static PyObject *scanstring;
static PyObject *fn_prefix;
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

/* every slot Python reads with getattr(..., None) set, since reading an unset one costs an AttributeError */
static PyObject *new_marked(long line) {
    PyObject *result = marked_dict->tp_new(marked_dict, empty_tuple, NULL);
    if (result == NULL || set_slot(result, line_offset, PyLong_FromLong(line)) < 0) {
        Py_XDECREF(result);
        return NULL;
    }
    set_slot(result, key_lines_offset, Py_NewRef(Py_None));
    set_slot(result, source_offset, Py_NewRef(Py_None));
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

/* build_yaml(text: bytes) -> the template, or BAIL */
static PyObject *build_yaml(PyObject *module, PyObject *arg) {
    if (!PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "build_yaml() takes bytes");
        return NULL;
    }
    if (marked_dict == NULL || short_forms == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure() and configure_yaml() first");
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
    if (PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {  /* text libyaml let through: Python's error to word */
        PyErr_Clear();
        must_bail = 1;
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

/* ---- JSON ---- */

typedef struct {
    PyObject *text;
    int kind;
    const void *data;
    Py_ssize_t length, at;
    long line;
    int bail;
} Json;

#define CHAR(j, i) PyUnicode_READ((j)->kind, (j)->data, (i))
#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')

static PyObject *json_value(Json *j, int depth);

static PyObject *json_bail(Json *j) {
    j->bail = 1;
    return NULL;
}

static void json_whitespace(Json *j) {  /* json's: space, tab, newline, carriage return */
    for (; j->at < j->length; j->at++) {
        Py_UCS4 c = CHAR(j, j->at);
        if (c == '\n')
            j->line++;
        else if (c != ' ' && c != '\t' && c != '\r')
            return;
    }
}

static PyObject *json_string(Json *j) {  /* at its opening quote */
    Py_ssize_t start = j->at + 1, i = start;
    int escaped = 0;
    for (;;) {
        if (i >= j->length)
            return json_bail(j);
        Py_UCS4 c = CHAR(j, i);
        if (c == '"')
            break;
        if (c < 0x20)  /* strict: a control character is an error */
            return json_bail(j);
        if (c == '\\')
            escaped = 1, i++;
        i++;
    }
    if (!escaped) {
        j->at = i + 1;
        return PyUnicode_Substring(j->text, start, i);
    }
    PyObject *pair = PyObject_CallFunction(scanstring, "Oni", j->text, start, 1);
    if (pair == NULL) {
        if (PyErr_ExceptionMatches(PyExc_ValueError)) {
            PyErr_Clear();
            return json_bail(j);
        }
        return NULL;
    }
    PyObject *value = NULL;
    if (PyTuple_Check(pair) && PyTuple_GET_SIZE(pair) == 2) {
        Py_ssize_t end = PyLong_AsSsize_t(PyTuple_GET_ITEM(pair, 1));
        if (end == i + 1) {
            value = Py_NewRef(PyTuple_GET_ITEM(pair, 0));
            j->at = end;
        } else if (!PyErr_Occurred()) {
            json_bail(j);
        }
    } else {
        json_bail(j);
    }
    Py_DECREF(pair);
    return value;
}

static PyObject *json_number(Json *j) {  /* json's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? */
    Py_ssize_t start = j->at, i = start, n = j->length;
    int is_float = 0;
    if (i < n && CHAR(j, i) == '-')
        i++;
    if (i < n && CHAR(j, i) == '0')
        i++;
    else if (i < n && IS_DIGIT(CHAR(j, i)))
        while (i < n && IS_DIGIT(CHAR(j, i)))
            i++;
    else
        return json_bail(j);  /* -Infinity, or no number */
    if (i < n && CHAR(j, i) == '.') {
        i++;
        if (!(i < n && IS_DIGIT(CHAR(j, i))))
            return json_bail(j);
        while (i < n && IS_DIGIT(CHAR(j, i)))
            i++;
        is_float = 1;
    }
    if (i < n && (CHAR(j, i) == 'e' || CHAR(j, i) == 'E')) {
        i++;
        if (i < n && (CHAR(j, i) == '+' || CHAR(j, i) == '-'))
            i++;
        if (!(i < n && IS_DIGIT(CHAR(j, i))))
            return json_bail(j);
        while (i < n && IS_DIGIT(CHAR(j, i)))
            i++;
        is_float = 1;
    }
    j->at = i;
    char small[32];
    Py_ssize_t length = i - start;
    char *digits = length < (Py_ssize_t)sizeof small ? small : PyMem_Malloc((size_t)length + 1);
    if (digits == NULL)
        return PyErr_NoMemory();
    for (Py_ssize_t k = 0; k < length; k++)
        digits[k] = (char)CHAR(j, start + k);
    digits[length] = '\0';
    PyObject *value;
    if (is_float) {  /* as float(text): 1e400 is inf */
        double number = PyOS_string_to_double(digits, NULL, NULL);
        value = number == -1.0 && PyErr_Occurred() ? NULL : PyFloat_FromDouble(number);
    } else if (length <= 18) {
        value = PyLong_FromLongLong(strtoll(digits, NULL, 10));
    } else {
        value = PyLong_FromString(digits, NULL, 10);  /* Python's digit limit applies: a ValueError, below */
    }
    if (digits != small)
        PyMem_Free(digits);
    if (value == NULL && PyErr_ExceptionMatches(PyExc_ValueError)) {
        PyErr_Clear();
        return json_bail(j);
    }
    return value;
}

static PyObject *json_word(Json *j, const char *word, PyObject *value) {
    for (Py_ssize_t k = 0; word[k]; k++)
        if (j->at + k >= j->length || CHAR(j, j->at + k) != (Py_UCS4)word[k])
            return json_bail(j);
    j->at += (Py_ssize_t)strlen(word);
    return Py_NewRef(value);
}

/* The lines of an object's keys, gathered in C and made a tuple once the object is read. */
typedef struct {
    long small[16];
    long *items;
    Py_ssize_t count, capacity;
} Lines;

static int lines_add(Lines *lines, long line) {
    if (lines->count == lines->capacity) {
        Py_ssize_t capacity = lines->capacity * 2;
        long *grown = lines->items == lines->small ? PyMem_Malloc(sizeof(long) * (size_t)capacity)
                                                    : PyMem_Realloc(lines->items, sizeof(long) * (size_t)capacity);
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        if (lines->items == lines->small)
            memcpy(grown, lines->small, sizeof lines->small);
        lines->items = grown, lines->capacity = capacity;
    }
    lines->items[lines->count++] = line;
    return 0;
}

static PyObject *lines_tuple(Lines *lines) {
    PyObject *tuple = PyTuple_New(lines->count);
    for (Py_ssize_t k = 0; tuple != NULL && k < lines->count; k++) {
        PyObject *line = PyLong_FromLong(lines->items[k]);
        if (line == NULL)
            Py_CLEAR(tuple);
        else
            PyTuple_SET_ITEM(tuple, k, line);
    }
    return tuple;
}

static PyObject *json_object(Json *j, int depth) {  /* at its `{` */
    Lines lines;
    lines.items = lines.small, lines.count = 0, lines.capacity = 16;
    PyObject *result = new_marked(j->line);
    if (result == NULL)
        goto fail;
    j->at++;
    json_whitespace(j);
    if (j->at < j->length && CHAR(j, j->at) == '}') {
        j->at++;
    } else {
        for (;;) {
            if (j->at >= j->length || CHAR(j, j->at) != '"') {
                json_bail(j);
                goto fail;
            }
            long key_line = j->line;
            PyObject *key = json_string(j);
            if (key == NULL)
                goto fail;
            PyUnicode_InternInPlace(&key);  /* the same few keys, thousands of times */
            json_whitespace(j);
            if (j->at >= j->length || CHAR(j, j->at) != ':') {
                Py_DECREF(key);
                json_bail(j);
                goto fail;
            }
            j->at++;
            json_whitespace(j);
            PyObject *value = json_value(j, depth);
            if (value == NULL) {
                Py_DECREF(key);
                goto fail;
            }
            Py_ssize_t size = PyDict_GET_SIZE(result);
            int stored = PyDict_SetItem(result, key, value) == 0;
            Py_DECREF(key);
            Py_DECREF(value);
            if (!stored || lines_add(&lines, key_line) < 0)
                goto fail;
            if (PyDict_GET_SIZE(result) == size) {  /* a duplicate key: the eager decoder says where */
                json_bail(j);
                goto fail;
            }
            json_whitespace(j);
            Py_UCS4 c = j->at < j->length ? CHAR(j, j->at) : 0;
            j->at++;
            if (c == '}')
                break;
            if (c != ',') {
                json_bail(j);
                goto fail;
            }
            json_whitespace(j);
        }
    }
    if (set_slot(result, lines_offset, lines_tuple(&lines)) < 0)
        goto fail;
    if (lines.items != lines.small)
        PyMem_Free(lines.items);
    return result;
fail:
    Py_XDECREF(result);
    if (lines.items != lines.small)
        PyMem_Free(lines.items);
    return NULL;
}

static PyObject *json_array(Json *j, int depth) {  /* at its `[` */
    PyObject *result = PyList_New(0);
    if (result == NULL)
        return NULL;
    j->at++;
    json_whitespace(j);
    if (j->at < j->length && CHAR(j, j->at) == ']') {
        j->at++;
        return result;
    }
    for (;;) {
        PyObject *value = json_value(j, depth);
        if (value == NULL || PyList_Append(result, value) < 0) {
            Py_XDECREF(value);
            Py_DECREF(result);
            return NULL;
        }
        Py_DECREF(value);
        json_whitespace(j);
        Py_UCS4 c = j->at < j->length ? CHAR(j, j->at) : 0;
        j->at++;
        if (c == ']')
            return result;
        if (c != ',') {
            Py_DECREF(result);
            return json_bail(j);
        }
        json_whitespace(j);
    }
}

static PyObject *json_value(Json *j, int depth) {  /* `depth`: the levels of objects and lists around it */
    if (j->at >= j->length)
        return json_bail(j);
    Py_UCS4 c = CHAR(j, j->at);
    switch (c) {
    case '"':
        return json_string(j);
    case '{':
    case '[':
        if (depth >= MAX_DEPTH)  /* the eager decoder says where */
            return json_bail(j);
        return c == '{' ? json_object(j, depth + 1) : json_array(j, depth + 1);
    case 't':
        return json_word(j, "true", Py_True);
    case 'f':
        return json_word(j, "false", Py_False);
    case 'n':
        return json_word(j, "null", Py_None);
    default:
        return json_number(j);  /* NaN and Infinity too: not a number of its grammar, left to Python */
    }
}

/* build_json(text: str) -> the document, or BAIL */
static PyObject *build_json(PyObject *module, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "build_json() takes str");
        return NULL;
    }
    if (marked_dict == NULL || scanstring == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure() and configure_json() first");
        return NULL;
    }
    if (PyUnicode_READY(text) < 0)
        return NULL;
    Json j = {text, PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text), 0, 1, 0};
    json_whitespace(&j);
    PyObject *value = json_value(&j, 0);
    if (value != NULL) {
        json_whitespace(&j);
        if (j.at != j.length) {  /* extra data */
            Py_CLEAR(value);
            j.bail = 1;
        }
    }
    if (value == NULL && j.bail && !PyErr_Occurred())
        return Py_NewRef(bail);
    return value;
}

/* ---- resolve ---- */

static PyObject *no_value, *unresolved;

/* Resolver.resolve's walk (resolve.py): a copy of `value` with each intrinsic function (a one-key mapping whose key
   is Ref or Fn::...) replaced by what `on_function(function, args)` answers (UNRESOLVED: kept as written), every
   other mapping a plain dict, AWS::NoValue (NO_VALUE) left out of mappings and lists. */
static PyObject *resolve_walk(PyObject *value, PyObject *on_function) {
    if (PyList_Check(value)) {
        PyObject *result = PyList_New(0);
        if (result == NULL || Py_EnterRecursiveCall(" resolving a template")) {
            Py_XDECREF(result);
            return NULL;
        }
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(value); i++) {
            PyObject *item = PyList_GET_ITEM(value, i);
            PyObject *resolved = resolve_walk(item, on_function);
            if (resolved == NULL || (resolved != no_value && PyList_Append(result, resolved) < 0)) {
                Py_XDECREF(resolved);
                Py_CLEAR(result);
                break;
            }
            Py_DECREF(resolved);
        }
        Py_LeaveRecursiveCall();
        return result;
    }
    if (!PyDict_Check(value))
        return Py_NewRef(value);
    Py_ssize_t at = 0;
    PyObject *key, *item;
    if (PyDict_GET_SIZE(value) == 1 && PyDict_Next(value, &at, &key, &item) && PyUnicode_Check(key)
            && (PyUnicode_CompareWithASCIIString(key, "Ref") == 0 || PyUnicode_Tailmatch(key, fn_prefix, 0, 4, -1) == 1)) {
        PyObject *resolved = PyObject_CallFunctionObjArgs(on_function, key, item, NULL);
        if (resolved == unresolved) {
            Py_DECREF(resolved);
            return Py_NewRef(value);
        }
        return resolved;
    }
    PyObject *result = PyDict_New();
    if (result == NULL || Py_EnterRecursiveCall(" resolving a template")) {
        Py_XDECREF(result);
        return NULL;
    }
    at = 0;
    while (PyDict_Next(value, &at, &key, &item)) {
        PyObject *resolved = resolve_walk(item, on_function);
        if (resolved == NULL || (resolved != no_value && PyDict_SetItem(result, key, resolved) < 0)) {
            Py_XDECREF(resolved);
            Py_CLEAR(result);
            break;
        }
        Py_DECREF(resolved);
    }
    Py_LeaveRecursiveCall();
    return result;
}

/* resolve(value, on_function) */
static PyObject *resolve(PyObject *module, PyObject *args) {
    PyObject *value, *on_function;
    if (!PyArg_ParseTuple(args, "OO", &value, &on_function))
        return NULL;
    if (no_value == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_resolve() first");
        return NULL;
    }
    return resolve_walk(value, on_function);
}

/* configure_resolve(NO_VALUE, UNRESOLVED) */
static PyObject *configure_resolve(PyObject *module, PyObject *args) {
    PyObject *nothing, *unknown;
    if (!PyArg_ParseTuple(args, "OO", &nothing, &unknown))
        return NULL;
    if (fn_prefix == NULL && (fn_prefix = PyUnicode_InternFromString("Fn::")) == NULL)
        return NULL;
    Py_XSETREF(no_value, Py_NewRef(nothing));
    Py_XSETREF(unresolved, Py_NewRef(unknown));
    Py_RETURN_NONE;
}

/* ---- lines ---- */

static PyObject *slot(PyObject *object, Py_ssize_t offset) {  /* borrowed; NULL for an unset slot or None */
    PyObject *value = *(PyObject **)((char *)object + offset);
    return value == Py_None ? NULL : value;
}

/* decode.line_of's walk where every mapping on the path had its lines marked as it was built: the line of the
   deepest key of `path` that exists (a list item: its own line), else `top`'s own. BAIL where a mapping finds its
   lines in its text when asked (a JSON object decoded in Python: `_source`): Python answers. */
static PyObject *line_of(PyObject *module, PyObject *args) {
    PyObject *top, *path;
    if (!PyArg_ParseTuple(args, "OO!", &top, &PyTuple_Type, &path))
        return NULL;
    if (marked_dict == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure() first");
        return NULL;
    }
    PyObject *node = top, *line = NULL;  /* borrowed; NULL: no line yet */
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(path); i++) {
        PyObject *step = PyTuple_GET_ITEM(path, i);
        if (PyDict_Check(node)) {
            PyObject *child = PyDict_GetItemWithError(node, step);
            if (child == NULL) {
                if (PyErr_Occurred())
                    return NULL;
                break;
            }
            if (PyObject_TypeCheck(node, marked_dict)) {  /* a plain dict knows no line */
                if (slot(node, source_offset) != NULL)
                    return Py_NewRef(bail);
                PyObject *key_lines = slot(node, key_lines_offset), *lines = slot(node, lines_offset);
                if (key_lines != NULL && PyDict_Check(key_lines)) {
                    PyObject *found = PyDict_GetItemWithError(key_lines, step);
                    if (found == NULL && PyErr_Occurred())
                        return NULL;
                    if (found != NULL)
                        line = found;
                } else if (key_lines == NULL && lines != NULL && PyTuple_Check(lines)) {
                    Py_ssize_t at = 0, index = 0;  /* the key's place: its line is the tuple's item there */
                    PyObject *key, *value;
                    while (PyDict_Next(node, &at, &key, &value) && index < PyTuple_GET_SIZE(lines)) {
                        /* the entry holding the value found is the key's (a value two keys share: compared) */
                        int same = value != child ? 0 : key == step ? 1 : PyObject_RichCompareBool(key, step, Py_EQ);
                        if (same < 0)
                            return NULL;
                        if (same) {
                            line = PyTuple_GET_ITEM(lines, index);
                            break;
                        }
                        index++;
                    }
                } else if (key_lines != NULL || lines != NULL) {
                    return Py_NewRef(bail);
                }
            }
            node = child;
        } else if (PyList_Check(node) && PyLong_Check(step)) {
            Py_ssize_t index = PyLong_AsSsize_t(step);
            if (index == -1 && PyErr_Occurred()) {
                PyErr_Clear();
                break;
            }
            if (index < 0 || index >= PyList_GET_SIZE(node))
                break;
            node = PyList_GET_ITEM(node, index);
            if (PyObject_TypeCheck(node, marked_dict)) {  /* its own line; anything else has none */
                line = slot(node, line_offset);
                if (line == NULL)  /* found in its text, or 0 (which MarkedDict.line keeps): Python says */
                    return Py_NewRef(bail);
            }
        } else {
            break;
        }
    }
    if (line == NULL) {  /* no step exists: `top`'s own line */
        if (!PyObject_TypeCheck(top, marked_dict))
            return PyLong_FromLong(0);
        line = slot(top, line_offset);
        if (line == NULL)
            return Py_NewRef(bail);
    }
    return Py_NewRef(line);
}

/* ---- the module ---- */

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

/* configure(MarkedDict): the mapping type both builders make */
static PyObject *configure(PyObject *module, PyObject *type) {
    if (!PyType_Check(type) || !PyType_IsSubtype((PyTypeObject *)type, &PyDict_Type)) {
        PyErr_SetString(PyExc_TypeError, "configure() takes a subclass of dict");
        return NULL;
    }
    Py_ssize_t offsets[4];
    const char *names[4] = {"_line", "_lines", "_key_lines", "_source"};
    for (int k = 0; k < 4; k++)
        if ((offsets[k] = slot_offset(type, names[k])) < 0)
            return NULL;
    if (empty_tuple == NULL && (empty_tuple = PyTuple_New(0)) == NULL)
        return NULL;
    Py_XSETREF(marked_dict, (PyTypeObject *)Py_NewRef(type));
    line_offset = offsets[0], lines_offset = offsets[1], key_lines_offset = offsets[2], source_offset = offsets[3];
    Py_RETURN_NONE;
}

/* configure_json(scanstring): json's own reader of a string with escapes */
static PyObject *configure_json(PyObject *module, PyObject *reader) {
    Py_XSETREF(scanstring, Py_NewRef(reader));
    Py_RETURN_NONE;
}

/* configure_yaml(short_forms, collection_tags, resolver_first_chars, resolve_plain) */
static PyObject *configure_yaml(PyObject *module, PyObject *args) {
    PyObject *forms, *tags, *first, *resolve;
    if (!PyArg_ParseTuple(args, "O!O!UO", &PyDict_Type, &forms, &PyFrozenSet_Type, &tags, &first, &resolve))
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
    Py_XSETREF(short_forms, Py_NewRef(forms));
    Py_XSETREF(get_att, Py_NewRef(att));
    Py_XSETREF(collection_tags, Py_NewRef(tags));
    Py_XSETREF(resolve_plain, Py_NewRef(resolve));
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_O, "Set the mapping type both builders make."},
    {"configure_json", configure_json, METH_O, "Set json's string scanner."},
    {"configure_yaml", configure_yaml, METH_VARARGS, "Set the YAML builder's tables and its resolver."},
    {"build_json", build_json, METH_O, "Build a JSON document from its text, or answer BAIL."},
    {"build_yaml", build_yaml, METH_O, "Build a template from UTF-8 YAML, or answer BAIL."},
    {"configure_resolve", configure_resolve, METH_VARARGS, "Set resolve.py's NO_VALUE and UNRESOLVED."},
    {"line_of", line_of, METH_VARARGS, "decode.line_of for a path whose mappings had their lines marked, or BAIL."},
    {"resolve", resolve, METH_VARARGS, "Resolver.resolve's copy of a value, with on_function for each intrinsic."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__speedups(void) {
    PyObject *created = PyModule_Create(&module);
    if (created == NULL)
        return NULL;
    if (bail == NULL && (bail = PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type)) == NULL)
        return NULL;
    if (PyModule_AddObjectRef(created, "BAIL", bail) < 0) {  /* what a builder answers for Python to decode */
        Py_DECREF(created);
        return NULL;
    }
    return created;
}
